import { Observable, type ConfigurationOptions, type ObservableMiddleware } from "@kubernetes/client-node";

/** Request options that make a generated-API call abortable (client-node's calls take no timeout of their own). */
export function withSignal(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(signal);
      return new Observable(Promise.resolve(ctx));
    },
    post: (resp) => new Observable(Promise.resolve(resp)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" };
}
