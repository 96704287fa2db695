import type { KubeEvent } from "../jobs/objects.js";
import type { Clock } from "../util/clock.js";
import { isAlreadyExists } from "./api-error.js";
import { EVENTS } from "./resources.js";
import type { Writer } from "./writer.js";

// Events on an object, aggregated as client-go's recorder does: an Event with a deterministic name is
// created once; the same event again raises its count and lastTimestamp instead of adding another.

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

export function createEventRecorder(writer: Writer, o: { component: string; instance: string; clock: Clock }): EventRecorder {
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
      try {
        if ((await writer.create(EVENTS, event)) === "created") return;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      const existing = await writer.get<KubeEvent & { metadata: { name: string } }>(EVENTS, e.name, namespace);
      await writer.mergePatch(EVENTS, e.name, namespace, { count: (existing?.count ?? 1) + 1, lastTimestamp: now, message: e.message });
    },
  };
}
