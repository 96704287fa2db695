// Predicates return bare messages; callers attach the field path (apimachinery/pkg/util/validation).

export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const DNS1123_LABEL_MAX_LENGTH = 63;
const DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);

/** A namespace name, for one: at most 63 characters, no dots. */
export function isDns1123Label(value: string): string[] {
  const msgs: string[] = [];
  if (value.length > DNS1123_LABEL_MAX_LENGTH) msgs.push(`must be no more than ${DNS1123_LABEL_MAX_LENGTH} characters`);
  if (!DNS1123_LABEL_RE.test(value)) {
    msgs.push(
      DNS1123_SUBDOMAIN_RE.test(value)
        ? "must not contain dots"
        : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " +
            `end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '${DNS1123_LABEL}')`,
    );
  }
  return msgs;
}

export function isDns1123Subdomain(value: string): string[] {
  const msgs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) msgs.push(`must be no more than ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters`);
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    msgs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
        "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
        `'${DNS1123_LABEL}(\\.${DNS1123_LABEL})*')`,
    );
  }
  return msgs;
}

/**
 * A generateName prefix is valid when the prefix plus a generated suffix would be; the API server
 * appends 5 alphanumerics, so a trailing '-' or '.' is fine (apimachinery's maskTrailingDash).
 */
export function isDns1123SubdomainPrefix(prefix: string): string[] {
  const masked = /[-.]$/.test(prefix) ? `${prefix.slice(0, -1)}a` : prefix;
  return isDns1123Subdomain(masked);
}
