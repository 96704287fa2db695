// API errors as one line a person can read: client-node's ApiException message holds the whole body.

/** One line for the log: HTTP code and the Status message when there is one, else the error message. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { code?: unknown; statusCode?: unknown; body?: unknown };
  const code = typeof e.code === "number" ? e.code : typeof e.statusCode === "number" ? e.statusCode : undefined;
  if (code === undefined) return e.message;
  let detail = e.message.split("\n")[0] ?? "";
  const body = typeof e.body === "string" ? safeParse(e.body) : e.body;
  if (typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string") {
    detail = (body as { message: string }).message;
  }
  return `HTTP ${code}: ${detail}`;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return undefined;
  }
}
