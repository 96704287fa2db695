import { CustomObjectsApi, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { GROUP, PREFLIGHT_KIND, PREFLIGHT_PLURAL, PREFLIGHT_VERSION } from "../api/index.js";
import { describeError, isNotFound } from "./api-error.js";
import { type ClusterConfigOptions, loadClusterConfig } from "./cluster-config.js";
import { withSignal } from "./request-options.js";

// One-shot reads of PreflightValidationOCP objects, for commands that ask once and exit (`status`).
// The server reads its watch-backed cache instead (preflight-cache.ts).

export interface PreflightReaderOptions extends ClusterConfigOptions {
  /** Give up on a request that has not been answered after this long. @default 30000 */
  readonly requestTimeoutMs?: number;
}

/** Objects as the API server returns them: untrusted, the caller checks their shape. */
export interface PreflightReader {
  /** The API server's URL, for messages. */
  readonly server: string;
  /** The object, or undefined when the API server says it does not exist. */
  get(name: string): Promise<unknown>;
  /** Every object, in the API server's order. */
  list(): Promise<unknown[]>;
}

/** Thrown for a request that failed; the message is one line with the HTTP code and the server's message. */
export class PreflightReadError extends Error {
  override readonly name = "PreflightReadError";
}

/**
 * A reader for the cluster `loadClusterConfig` picks, or undefined when no cluster is configured.
 * Throws ClusterConfigError when a configuration was named but cannot be used.
 */
export function openPreflightReader(opts: PreflightReaderOptions = {}): PreflightReader | undefined {
  const kc = loadClusterConfig(opts);
  if (!kc) return undefined;
  const api = kc.makeApiClient(CustomObjectsApi);
  const server = kc.getCurrentCluster()?.server ?? "";
  const timeoutMs = opts.requestTimeoutMs ?? 30_000;
  const gvp = { group: GROUP, version: PREFLIGHT_VERSION, plural: PREFLIGHT_PLURAL };

  /** Runs one request with the timeout; a 404 answers `ifNotFound` when given, any other failure throws. */
  async function call<T>(what: string, request: (options: ReturnType<typeof withSignal>) => Promise<T>, ifNotFound?: () => T): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await request(withSignal(timeout));
    } catch (err) {
      if (timeout.aborted) throw new PreflightReadError(`${what} from ${server}: no answer within ${timeoutMs} ms`);
      const notFound = isNotFound(err);
      if (notFound && ifNotFound) return ifNotFound();
      const hint = notFound ? ` (is the ${PREFLIGHT_KIND} CRD installed? kubectl get crd ${PREFLIGHT_PLURAL}.${GROUP})` : "";
      throw new PreflightReadError(`${what} from ${server}: ${describeError(err)}${hint}`);
    }
  }

  return {
    server,
    // A missing CRD is a 404 too; it then reads as "not found", and `kubectl get pfvo` (the hint printed) says why.
    get: (name) => call(`cannot read ${PREFLIGHT_KIND} "${name}"`, (o) => api.getClusterCustomObject({ ...gvp, name }, o) as Promise<unknown>, () => undefined),
    async list() {
      const list = await call(`cannot list ${PREFLIGHT_KIND}s`, (o) => api.listClusterCustomObject(gvp, o) as Promise<KubernetesListObject<KubernetesObject>>);
      return Array.isArray(list.items) ? list.items : [];
    },
  };
}
