import type { KubeConfig } from "@kubernetes/client-node";
import { type PreflightValidationOCP } from "../api/index.js";
import type { Logger } from "../log/logger.js";
import type { BackoffOptions } from "../util/backoff.js";
import type { Clock } from "../util/clock.js";
import { type Informer, startInformer } from "./informer.js";
import { PREFLIGHTS, collectionPath } from "./resources.js";

// The cluster's PreflightValidationOCP objects, watch-backed and never blocking: what admission warnings
// and the metrics read, and what the runner reconciles.

export type PreflightCache = Informer<PreflightValidationOCP & { metadata: { name: string } }>;

export interface PreflightCacheOptions {
  /** @default { initialMs: 1000, maxMs: 30000 } */
  readonly relistBackoff?: BackoffOptions;
  /** @default 30000 */
  readonly requestTimeoutMs?: number;
  /** @default 300 */
  readonly watchTimeoutSeconds?: number;
  readonly clock?: Clock;
}

export const PREFLIGHT_WATCH_PATH = collectionPath(PREFLIGHTS);

export function startPreflightCache(kc: KubeConfig, log: Logger, opts: PreflightCacheOptions = {}): PreflightCache {
  return startInformer(kc, { resource: PREFLIGHTS, log, ...opts });
}
