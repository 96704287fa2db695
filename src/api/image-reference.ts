// Pure parsing of OCI image references, following the grammar of distribution/reference:
//   reference := [domain "/"] path-component ("/" path-component)* [":" tag] ["@" digest]
// Image names in KMM Modules may hold ${KERNEL_FULL_VERSION}-style variables: substitute first, then parse.
// It sits in src/api because it is the grammar of fields of the API (releaseImage, containerImage):
// validation, the kernel semantics and the registry client all read references with it.

export const DEFAULT_REGISTRY = "docker.io";
export const NAME_MAX_LENGTH = 255;

export interface ImageReference {
  /** As written, or DEFAULT_REGISTRY when the reference names none. */
  readonly registry: string;
  /** Whether the registry was written in the reference (false means Docker Hub by default). */
  readonly registryExplicit: boolean;
  /** For Docker Hub a single-component name gets the `library/` prefix, as docker pull does. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export type ParseResult = { readonly ok: true; readonly ref: ImageReference } | { readonly ok: false; readonly errors: string[] };

const DOMAIN_COMPONENT = /^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
// Any character outside the grammar (spaces, quotes, $, ;, |, &, `...) is reported by name.
const DISALLOWED_CHAR = /[^A-Za-z0-9._\-/:@[\]]/;

function describeChar(c: string): string {
  if (c === " ") return "a space";
  if (/\s/.test(c)) return `whitespace (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`;
  return JSON.stringify(c);
}

function disallowedChars(s: string): string[] {
  // One scan for the common, clean case: admission parses every release image on every request.
  if (!DISALLOWED_CHAR.test(s)) return [];
  const found = new Set<string>();
  for (const c of s) if (DISALLOWED_CHAR.test(c)) found.add(c);
  return [`must not contain whitespace or shell metacharacters (found ${[...found].map(describeChar).join(", ")})`];
}

function validateDomain(domain: string): string[] {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+)(?::(\d+))?$/.exec(domain);
  if (!m) return [`registry host "${domain}" is not a valid host[:port]`];
  const [, host, port] = m;
  const errs: string[] = [];
  if (!host!.startsWith("[") && !host!.split(".").every((c) => DOMAIN_COMPONENT.test(c))) {
    errs.push(`registry host "${host}" is not a valid DNS name or IP address`);
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) errs.push(`registry port ${port} must be between 1 and 65535`);
  return errs;
}

/** docker's splitDockerDomain: the first component is a registry when it looks like a host. */
function looksLikeDomain(first: string): boolean {
  return first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase();
}

export function parseImageReference(input: string): ParseResult {
  if (input === "") return { ok: false, errors: ["must not be empty"] };
  const charErrs = disallowedChars(input);
  if (charErrs.length) return { ok: false, errors: charErrs };

  const errors: string[] = [];
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!SHA256_DIGEST.test(digest)) errors.push(`digest "${digest}" must be "sha256:" followed by 64 lowercase hex characters`);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) errors.push(`tag "${tag}" must be 1-128 characters of letters, digits, '_', '.' or '-', not starting with '.' or '-'`);
  }

  const components = rest.split("/");
  let registry = DEFAULT_REGISTRY;
  let registryExplicit = false;
  if (components.length > 1 && looksLikeDomain(components[0]!)) {
    registry = components.shift()!;
    registryExplicit = true;
    errors.push(...validateDomain(registry));
  }
  const repository = components.join("/");
  if (repository === "") {
    errors.push("repository name must not be empty");
  } else if (repository !== repository.toLowerCase()) {
    errors.push(`repository name "${repository}" must be lowercase`);
  } else {
    const bad = components.filter((c) => !PATH_COMPONENT.test(c));
    if (bad.length) {
      errors.push(
        `repository path component${bad.length > 1 ? "s" : ""} ${bad.map((b) => JSON.stringify(b)).join(", ")} must be lowercase letters and digits, separated by '.', '_', '__' or '-'`,
      );
    }
  }
  if (rest.length > NAME_MAX_LENGTH) errors.push(`repository name must not be more than ${NAME_MAX_LENGTH} characters`);
  if (errors.length) return { ok: false, errors };

  const normalized = registry === DEFAULT_REGISTRY && components.length === 1 ? `library/${repository}` : repository;
  return {
    ok: true,
    ref: { registry, registryExplicit, repository: normalized, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) },
  };
}

/** The fully qualified form, e.g. `docker.io/library/busybox:latest` or `quay.io/org/img@sha256:…`; a reference with neither tag nor digest gets no `:latest`. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}
