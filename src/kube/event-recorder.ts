import type { KubeEvent } from "../jobs/objects.js";
import type { Clock } from "../util/clock.js";
import { EVENTS } from "./resources.js";
import type { Writer } from "./writer.js";

// Events on an object, aggregated as client-go's recorder does: an Event with a deterministic name is
// created once; the same event again raises its count and lastTimestamp instead of adding another. As
// in client-go, counts are remembered in memory (RBAC grants create and patch, not get): after a
// restart a repeat refreshes lastTimestamp and message without knowing the count.

export interface EventToRecord {
  /** Deterministic per occurrence kind (what aggregates). */
  readonly name: string;
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  /** Absent for a cluster-scoped object: its Events go to "default", where `kubectl describe` looks. */
  readonly namespace?: string;
}

export interface EventRecorder {
  record(about: InvolvedObject, e: EventToRecord): Promise<void>;
}

/** Events whose counts are remembered; the oldest are forgotten first. */
const MAX_REMEMBERED = 4096;

export function createEventRecorder(writer: Writer, o: { component: string; instance: string; clock: Clock }): EventRecorder {
  const counts = new Map<string, number>();
  const remember = (key: string, count: number) => {
    counts.delete(key);
    counts.set(key, count);
    if (counts.size > MAX_REMEMBERED) counts.delete(counts.keys().next().value!);
  };
  return {
    async record(about, e) {
      const namespace = about.namespace ?? "default";
      const now = o.clock.wallNow().toISOString().replace(/\.\d{3}Z$/, "Z");
      const event: KubeEvent = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: e.name, namespace },
        involvedObject: { apiVersion: about.apiVersion, kind: about.kind, name: about.name, uid: about.uid, ...(about.namespace && { namespace: about.namespace }) },
        type: e.type,
        reason: e.reason,
        message: e.message,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: o.component },
        reportingComponent: o.component,
        reportingInstance: o.instance,
      };
      const key = `${namespace}/${e.name}`;
      if ((await writer.create(EVENTS, event)) === "created") return remember(key, 1);
      const count = counts.get(key);
      await writer.mergePatch(EVENTS, e.name, namespace, { ...(count !== undefined && { count: count + 1 }), lastTimestamp: now, message: e.message });
      if (count !== undefined) remember(key, count + 1);
    },
  };
}
