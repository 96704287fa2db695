// API errors, classified once: client-node's ApiException carries the HTTP code and the Status body
// (as a string); a 409 is either AlreadyExists (create) or Conflict (a stale resourceVersion).

interface WithCode {
  code?: unknown;
  statusCode?: unknown;
  body?: unknown;
}

/** The HTTP status of a failed API request, or undefined for a network failure or a bug. */
export function statusCodeOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as WithCode;
  return typeof e.code === "number" ? e.code : typeof e.statusCode === "number" ? e.statusCode : undefined;
}

/** The metav1.Status the API server answered with, when there is one. */
export function statusOf(err: unknown): { reason?: string; message?: string } | undefined {
  const body = (err as WithCode | null)?.body;
  const parsed = typeof body === "string" ? safeParse(body) : body;
  return typeof parsed === "object" && parsed !== null ? (parsed as { reason?: string; message?: string }) : undefined;
}

export const isNotFound = (err: unknown): boolean => statusCodeOf(err) === 404;
export const isAlreadyExists = (err: unknown): boolean => statusCodeOf(err) === 409 && statusOf(err)?.reason === "AlreadyExists";
/** A write lost a race: the resourceVersion sent is no longer the latest. */
export const isConflict = (err: unknown): boolean => statusCodeOf(err) === 409 && statusOf(err)?.reason !== "AlreadyExists";
/** 410 Gone: the resourceVersion a watch or list asked for is older than the server keeps. */
export const isExpired = (err: unknown): boolean => statusCodeOf(err) === 410;

/** One line for the log: HTTP code and the Status message when there is one, else the error message. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = statusCodeOf(err);
  if (code === undefined) return err.message;
  const message = statusOf(err)?.message;
  return `HTTP ${code}: ${typeof message === "string" ? message : (err.message.split("\n")[0] ?? "")}`;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return undefined;
  }
}
