import { MAX_KERNEL_VERSION_LENGTH, type PreflightValidationOCP } from "../api/index.js";
import type { KernelState } from "../jobs/plan.js";
import { kernelVariables } from "../kernel/kernel-version.js";
import type { Logger } from "../log/logger.js";
import { describeKernelFailure } from "../release/release-kernel.js";
import { type BackoffOptions, backoffDelay } from "../util/backoff.js";
import type { Clock } from "../util/clock.js";

// The kernel each PreflightValidationOCP validates against, looked up in the background (a registry
// read of the release and its driver-toolkit image can take a while; a reconcile never waits for it)
// once per release image and flavour, shared by every PFVO naming it by digest, retried with backoff
// when it fails. A release named by tag is looked up for each PFVO (the tag may have moved since another
// PFVO read it). A PFVO whose status already names its kernel is not looked up again: the release is immutable.

/** Reads the kernel of a release image; throws an Error whose message says what went wrong. */
export type KernelSource = (releaseImage: string, rt: boolean) => Promise<string>;

type Lookup =
  | { kind: "pending"; failed?: { reason: string; failures: number } }
  | { kind: "known"; kernel: string }
  | { kind: "failed"; reason: string; failures: number; retryAtMs: number };

export interface KernelLookupsOptions {
  readonly source: KernelSource;
  /** Told the name of each PFVO waiting on a lookup that settled (the runner enqueues it). */
  readonly onSettled: (preflight: string) => void;
  readonly clock: Clock;
  /** Where a failed lookup says why: the status says it per Module, but an operator reads the log. */
  readonly log?: Logger;
  /** @default { initialMs: 5000, maxMs: 300000 } */
  readonly retryBackoff?: BackoffOptions;
}

export class KernelLookups {
  readonly #lookups = new Map<string, Lookup>();
  readonly #waiting = new Map<string, Set<string>>();
  /** The lookup of each PFVO naming its release by tag, its own: forgotten with it. */
  readonly #own = new Map<string, string>();

  constructor(private readonly o: KernelLookupsOptions) {}

  /** The kernel of `pf`, starting (or retrying) a lookup when needed. Never waits. */
  state(pf: PreflightValidationOCP): KernelState {
    const recorded = pf.status?.kernelVersion;
    if (recorded) return { kind: "known", kernel: recorded };
    const byDigest = /@sha256:[0-9a-f]{64}$/.test(pf.spec.releaseImage);
    const key = `${pf.spec.releaseImage}|${pf.spec.useRTKernel === true}${byDigest ? "" : `|${pf.metadata.uid ?? pf.metadata.name}`}`;
    if (!byDigest) this.#own.set(pf.metadata.name ?? "", key);
    const names = this.#waiting.get(key) ?? new Set();
    names.add(pf.metadata.name ?? "");
    this.#waiting.set(key, names);
    const l = this.#lookups.get(key);
    if (l?.kind === "known") return { kind: "known", kernel: l.kernel };
    if (l?.kind === "pending") return l.failed ? { kind: "failed", reason: l.failed.reason } : { kind: "pending" };
    if (l?.kind === "failed" && this.o.clock.now() < l.retryAtMs) return { kind: "failed", reason: l.reason };
    // While a retry runs, the last failure stands: Modules do not flip from error back to unknown.
    const failed = l?.kind === "failed" ? { reason: l.reason, failures: l.failures } : undefined;
    this.#lookups.set(key, { kind: "pending", ...(failed && { failed }) });
    void this.#look(key, pf.spec.releaseImage, pf.spec.useRTKernel === true, failed?.failures ?? 0);
    return failed ? { kind: "failed", reason: failed.reason } : { kind: "pending" };
  }

  /** Forgets a PFVO that was deleted. */
  forget(name: string): void {
    for (const names of this.#waiting.values()) names.delete(name);
    const own = this.#own.get(name);
    if (own !== undefined) {
      this.#own.delete(name);
      this.#lookups.delete(own);
      this.#waiting.delete(own);
    }
  }

  async #look(key: string, releaseImage: string, rt: boolean, failures: number): Promise<void> {
    let next: Lookup;
    try {
      const kernel = await this.o.source(releaseImage, rt);
      const vars = kernelVariables(kernel);
      if (!vars.ok) throw new Error(`the release names kernel ${JSON.stringify(kernel)}, which is not a kernel version: ${vars.error}`);
      // status.kernelVersion could not hold it: every status write would be refused.
      if (kernel.length > MAX_KERNEL_VERSION_LENGTH) throw new Error(`the release names a kernel of ${kernel.length} characters; status.kernelVersion holds at most ${MAX_KERNEL_VERSION_LENGTH} characters`);
      next = { kind: "known", kernel };
      if (failures > 0) this.o.log?.info("read the kernel of the release image", { releaseImage, rt, kernel, failures });
    } catch (err) {
      const delay = backoffDelay(failures, this.o.retryBackoff ?? { initialMs: 5000, maxMs: 300_000 });
      const why = err instanceof Error ? err.message : String(err);
      next = { kind: "failed", reason: describeKernelFailure(releaseImage, rt, why), failures: failures + 1, retryAtMs: this.o.clock.now() + delay };
      this.o.log?.warn("cannot read the kernel of the release image; its Modules are error until it can; retrying", { releaseImage, rt, error: why, failures: failures + 1, retryInMs: delay });
      this.o.clock.setTimer(() => this.#notify(key), delay);
    }
    // Forgotten meanwhile (its PFVO was deleted): nothing to keep.
    if (!this.#lookups.has(key)) return;
    this.#lookups.set(key, next);
    this.#notify(key);
  }

  #notify(key: string): void {
    for (const name of this.#waiting.get(key) ?? []) this.o.onSettled(name);
  }
}
