import { CustomObjectsApi, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import { MANAGED_SELECTOR, MODULE_NAME_LABEL, labelValue } from "../jobs/labels.js";
import { GROUP, PREFLIGHT_KIND, PREFLIGHT_PLURAL, PREFLIGHT_VERSION } from "../api/index.js";
import { describeError, isNotFound } from "./api-error.js";
import { type ClusterConfigOptions, loadClusterConfig } from "./cluster-config.js";
import { JsonApi } from "./json-api.js";
import { withSignal } from "./request-options.js";
import { JOBS, PODS } from "./resources.js";

// One-shot reads of PreflightValidationOCP objects, for commands that ask once and exit (`status`).
// The server reads its watch-backed cache instead (an informer, src/kube/informer.ts).

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
  /** The validation Jobs of one Module, and their Pods (this product's labels), as the API server returns them. */
  validationJobs(namespace: string, module: string): Promise<{ jobs: unknown[]; pods: unknown[] }>;
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

  const json = new JsonApi(kc, { requestTimeoutMs: timeoutMs });
  const ofModule = async (what: string, list: () => Promise<{ items: unknown[] }>) => {
    try {
      return (await list()).items;
    } catch (err) {
      throw new PreflightReadError(`cannot list ${what} from ${server}: ${describeError(err)}`);
    }
  };

  return {
    server,
    async validationJobs(namespace, module) {
      const labelSelector = `${MANAGED_SELECTOR},${MODULE_NAME_LABEL}=${labelValue(module)}`;
      const [jobs, pods] = await Promise.all([
        ofModule("validation Jobs", () => json.list(JOBS, { namespace, labelSelector })),
        ofModule("validation Pods", () => json.list(PODS, { namespace, labelSelector })),
      ]);
      return { jobs, pods };
    },
    // A missing CRD is a 404 too; it then reads as "not found", and `kubectl get pfvo` (the hint printed) says why.
    get: (name) => call(`cannot read ${PREFLIGHT_KIND} "${name}"`, (o) => api.getClusterCustomObject({ ...gvp, name }, o) as Promise<unknown>, () => undefined),
    async list() {
      const list = await call(`cannot list ${PREFLIGHT_KIND}s`, (o) => api.listClusterCustomObject(gvp, o) as Promise<KubernetesListObject<KubernetesObject>>);
      return Array.isArray(list.items) ? list.items : [];
    },
  };
}
