import { Observable, type ConfigurationOptions, type ObservableMiddleware, type RequestContext } from "@kubernetes/client-node";
import { type Clock, systemClock } from "../util/clock.js";

/** Request options that make a generated-API call abortable (client-node's calls take no timeout of their own). */
export function withSignal(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  return withMiddleware((ctx) => ctx.setSignal(signal));
}

/**
 * CustomObjectsApi speaks plain JSON both ways (the typed APIs turn timestamps into Date objects and
 * back), which is what the caches and the pure planner want for every kind. Its paths are
 * `/apis/<group>/<version>/...`; for the core group (`group: ""`) this turns them into `/api/v1/...`.
 */
export function withSignalForCoreGroup(signal: AbortSignal, contentType?: string): ConfigurationOptions<ObservableMiddleware> {
  return withMiddleware((ctx) => {
    ctx.setSignal(signal);
    if (contentType) ctx.setHeaderParam("Content-Type", contentType);
    const url = new URL(ctx.getUrl());
    url.pathname = url.pathname.replace(/^\/apis\/\/(v\d[^/]*)\//, "/api/$1/");
    ctx.setUrl(url.toString());
  });
}

function withMiddleware(pre: (ctx: RequestContext) => void): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre: (ctx) => {
      pre(ctx);
      return new Observable(Promise.resolve(ctx));
    },
    post: (resp) => new Observable(Promise.resolve(resp)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" };
}

/**
 * A signal that aborts after `timeoutMs`, or when `parent` aborts. `dispose()` it when the request is
 * done: AbortSignal.any and AbortSignal.timeout keep their listeners until they fire (a leak on Node 20).
 */
export function deadline(timeoutMs: number, parent?: AbortSignal, clock: Clock = systemClock): { readonly signal: AbortSignal; readonly timedOut: () => boolean; dispose(): void } {
  const controller = new AbortController();
  let expired = false;
  const cancelTimer = clock.setTimer(() => {
    expired = true;
    controller.abort(new Error(`no answer within ${Math.round(timeoutMs)} ms`));
  }, Math.max(1, timeoutMs));
  const onParent = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParent();
  else parent?.addEventListener("abort", onParent, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    dispose: () => {
      cancelTimer();
      parent?.removeEventListener("abort", onParent);
    },
  };
}
