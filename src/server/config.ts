import { parseArgs } from "node:util";
import { validateCronExpression } from "cron";
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_BUFFERED_BODY_BYTES, UNQUEUED_BODY_BYTES } from "../admission/http.js";
import { leaseTimingError } from "../kube/lease-step.js";
import { type SecretRef, parseSecretRef } from "../kube/pull-secret.js";
import { LOG_LEVELS, type LogLevel } from "../log/logger.js";
import { ANY_ADDRESS } from "../util/listen.js";

export interface ServeConfig {
  readonly host: string;
  readonly port: number;
  /** Plain-HTTP port for Prometheus' GET /metrics. */
  readonly metricsPort: number;
  readonly certDir: string;
  /** Generate a development CA and serving certificate into certDir when it holds none. */
  readonly generateCerts: boolean;
  readonly serviceName: string;
  readonly namespace: string;
  readonly certPollSeconds: number;
  readonly logLevel: LogLevel;
  /** Path of a kubeconfig; undefined: $KUBECONFIG, in-cluster, then ~/.kube/config. */
  readonly kubeconfig?: string;
  /** Run admission only even where a cluster is configured. */
  readonly noCluster: boolean;
  readonly bodyLimitBytes: number;
  /** Request bodies read and held at once; further requests wait unread. */
  readonly bufferedBodyBytes: number;
  /** Keep serving this long after SIGTERM so endpoints stop routing here before the listener closes. */
  readonly shutdownDelaySeconds: number;
  /** In-flight requests get this long to finish; must stay below the pod's terminationGracePeriodSeconds. */
  readonly shutdownTimeoutSeconds: number;
  /** Campaign for the leader Lease (needs a cluster). */
  readonly leaderElect: boolean;
  /** Name of the Lease, in `namespace`. */
  readonly leaderElectionId: string;
  /** This replica's name in the Lease; undefined: the host name (a pod's name). */
  readonly podName?: string;
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineSeconds: number;
  readonly retryPeriodSeconds: number;
  /** Image the validation Jobs run; undefined: the server's own (read from its Pod), else DEFAULT_JOB_IMAGE. */
  readonly jobImage?: string;
  /** Cron expression, with seconds, of the sweeper. */
  readonly sweepSchedule: string;
  /** Cap on this product's running Jobs, cluster-wide. */
  readonly maxRunningJobs: number;
  /** A `false` Module is checked again after this long, even unchanged. */
  readonly revalidateAfterSeconds: number;
  /** activeDeadlineSeconds of image-stage and sign-stage Jobs. */
  readonly jobDeadlineSeconds: number;
  /** The buildah image build-stage Jobs run. */
  readonly builderImage: string;
  /** activeDeadlineSeconds of build-stage Jobs. */
  readonly buildDeadlineSeconds: number;
  /** The Secret with credentials for release images; absent in the cluster: anonymous. */
  readonly releasePullSecret: SecretRef;
  /** Admission only, even with a cluster: no Jobs, no status. */
  readonly noRunner: boolean;
}

type Kind = "string" | "boolean" | "port" | "seconds" | "positiveSeconds" | "wholeSeconds" | "bytes" | "level" | "count" | "cron" | "secretRef";

/** No timer here needs more than a day; larger values would also overflow setTimeout. */
const MAX_SECONDS = 86_400;

interface Setting {
  readonly key: keyof ServeConfig;
  readonly flag: string;
  /** Absent where another variable is read elsewhere (KUBECONFIG: a colon-separated list, merged by loadClusterConfig). */
  readonly env?: string;
  readonly kind: Kind;
  readonly default: string | undefined;
  readonly help: string;
}

/** Every setting, its flag, environment variable and default; the README table and `--help` come from here. */
export const SERVE_SETTINGS: readonly Setting[] = [
  { key: "port", flag: "port", env: "PORT", kind: "port", default: "8443", help: "HTTPS port for the webhooks, /healthz and /readyz" },
  { key: "host", flag: "host", env: "HOST", kind: "string", default: ANY_ADDRESS, help: "address to listen on (both ports); :: takes IPv4 and IPv6 (0.0.0.0 where the machine has no IPv6)" },
  { key: "metricsPort", flag: "metrics-port", env: "METRICS_PORT", kind: "port", default: "8080", help: "plain-HTTP port serving Prometheus metrics at /metrics" },
  { key: "certDir", flag: "cert-dir", env: "CERT_DIR", kind: "string", default: "certs", help: "directory holding tls.crt, tls.key (and ca.crt); a mounted kubernetes.io/tls Secret works as is" },
  { key: "generateCerts", flag: "generate-certs", env: "GENERATE_CERTS", kind: "boolean", default: "true", help: "generate a development CA and serving certificate into the cert dir when it holds none" },
  { key: "serviceName", flag: "service-name", env: "SERVICE_NAME", kind: "string", default: "kmm-preflight", help: "Service name the generated certificate is valid for" },
  { key: "namespace", flag: "namespace", env: "POD_NAMESPACE", kind: "string", default: "kmm-preflight", help: "namespace of that Service" },
  { key: "certPollSeconds", flag: "cert-poll-seconds", env: "CERT_POLL_SECONDS", kind: "positiveSeconds", default: "10", help: "how often rotated certificate files are looked for (changes are also watched)" },
  { key: "logLevel", flag: "log-level", env: "LOG_LEVEL", kind: "level", default: "info", help: `one of ${LOG_LEVELS.join(", ")}` },
  { key: "kubeconfig", flag: "kubeconfig", kind: "string", default: undefined, help: "kubeconfig file; without it: $KUBECONFIG (a list, merged as kubectl does), in-cluster config, then ~/.kube/config" },
  { key: "noCluster", flag: "no-cluster", env: "NO_CLUSTER", kind: "boolean", default: "false", help: "admission only, even where a cluster is configured" },
  { key: "bodyLimitBytes", flag: "body-limit-bytes", env: "BODY_LIMIT_BYTES", kind: "bytes", default: String(DEFAULT_BODY_LIMIT_BYTES), help: "largest AdmissionReview body accepted" },
  { key: "bufferedBodyBytes", flag: "buffered-body-bytes", env: "BUFFERED_BODY_BYTES", kind: "bytes", default: String(DEFAULT_BUFFERED_BODY_BYTES), help: `request bodies read and held at once, and again for bodies up to ${UNQUEUED_BODY_BYTES / 1024} KiB; more requests wait with their bodies unread (bounds memory under many reviews)` },
  { key: "shutdownDelaySeconds", flag: "shutdown-delay-seconds", env: "SHUTDOWN_DELAY_SECONDS", kind: "seconds", default: "0", help: "keep serving this long after SIGTERM (set 5 in a cluster)" },
  { key: "shutdownTimeoutSeconds", flag: "shutdown-timeout-seconds", env: "SHUTDOWN_TIMEOUT_SECONDS", kind: "seconds", default: "20", help: "time in-flight requests get to finish after the listener closes" },
  { key: "leaderElect", flag: "leader-elect", env: "LEADER_ELECT", kind: "boolean", default: "false", help: "campaign for the leader Lease in the namespace (one replica leads; all serve admission); needs a cluster; true in the Deployment" },
  { key: "leaderElectionId", flag: "leader-election-id", env: "LEADER_ELECTION_ID", kind: "string", default: "kmm-preflight", help: "name of that Lease" },
  { key: "podName", flag: "pod-name", env: "POD_NAME", kind: "string", default: undefined, help: "this replica's name in the Lease (a random suffix is added); default: the host name" },
  { key: "leaseDurationSeconds", flag: "leader-lease-duration-seconds", env: "LEADER_LEASE_DURATION_SECONDS", kind: "positiveSeconds", default: "15", help: "how long the Lease holds without renewal (whole seconds)" },
  { key: "renewDeadlineSeconds", flag: "leader-renew-deadline-seconds", env: "LEADER_RENEW_DEADLINE_SECONDS", kind: "positiveSeconds", default: "10", help: "the leader steps down when it could not renew for this long" },
  { key: "retryPeriodSeconds", flag: "leader-retry-period-seconds", env: "LEADER_RETRY_PERIOD_SECONDS", kind: "positiveSeconds", default: "2", help: "time between attempts to acquire or renew the Lease" },
  { key: "jobImage", flag: "job-image", env: "JOB_IMAGE", kind: "string", default: undefined, help: `image the validation Jobs run; default: the server's own image, read from its Pod (POD_NAME, POD_NAMESPACE), else ${"kmm-preflight:latest"}` },
  { key: "sweepSchedule", flag: "sweep-schedule", env: "SWEEP_SCHEDULE", kind: "cron", default: "*/30 * * * * *", help: "cron expression (with seconds) of the sweeper, which re-plans every PreflightValidationOCP" },
  { key: "maxRunningJobs", flag: "max-running-jobs", env: "MAX_RUNNING_JOBS", kind: "count", default: "20", help: "cap on this product's running Jobs, cluster-wide" },
  { key: "revalidateAfterSeconds", flag: "revalidate-after-seconds", env: "REVALIDATE_AFTER_SECONDS", kind: "wholeSeconds", default: "600", help: "a false Module is checked again after this long, even unchanged (images get pushed later)" },
  { key: "jobDeadlineSeconds", flag: "job-deadline-seconds", env: "JOB_DEADLINE_SECONDS", kind: "wholeSeconds", default: "600", help: "activeDeadlineSeconds of image-stage and sign-stage Jobs" },
  { key: "builderImage", flag: "builder-image", env: "BUILDER_IMAGE", kind: "string", default: "quay.io/buildah/stable:latest", help: "buildah image the build-stage Jobs run (pin a version in production)" },
  { key: "buildDeadlineSeconds", flag: "build-deadline-seconds", env: "BUILD_DEADLINE_SECONDS", kind: "wholeSeconds", default: "3600", help: "activeDeadlineSeconds of build-stage Jobs" },
  { key: "releasePullSecret", flag: "release-pull-secret", env: "RELEASE_PULL_SECRET", kind: "secretRef", default: "openshift-config/pull-secret", help: "namespace/name of the Secret with credentials for the release image; the only Secret the server reads; absent: anonymous" },
  { key: "noRunner", flag: "no-runner", env: "NO_RUNNER", kind: "boolean", default: "false", help: "admission only, even with a cluster: no validation Jobs, no status" },
];

function convert(s: Setting, raw: string): { value: unknown } | { error: string } {
  const where = s.env ? `--${s.flag} (${s.env})` : `--${s.flag}`;
  switch (s.kind) {
    case "string":
      return { value: raw };
    case "boolean":
      if (["true", "1", "yes"].includes(raw.toLowerCase())) return { value: true };
      if (["false", "0", "no"].includes(raw.toLowerCase())) return { value: false };
      return { error: `${where}: "${raw}" is not a boolean; use true or false` };
    case "level":
      return LOG_LEVELS.includes(raw as LogLevel) ? { value: raw } : { error: `${where}: "${raw}" is not a log level; use one of ${LOG_LEVELS.join(", ")}` };
    case "port": {
      const n = Number(raw);
      return raw.trim() !== "" && Number.isInteger(n) && n >= 0 && n <= 65535 ? { value: n } : { error: `${where}: "${raw}" is not a port number (0-65535)` };
    }
    case "seconds":
    case "positiveSeconds": {
      const n = Number(raw);
      const min = s.kind === "positiveSeconds" ? 0.001 : 0;
      return raw.trim() !== "" && n >= min && n <= MAX_SECONDS ? { value: n } : { error: `${where}: "${raw}" must be a number of seconds from ${min} to ${MAX_SECONDS}` };
    }
    case "wholeSeconds": {
      const n = Number(raw);
      return /^\d+$/.test(raw.trim()) && n >= 1 && n <= MAX_SECONDS ? { value: n } : { error: `${where}: "${raw}" must be a whole number of seconds from 1 to ${MAX_SECONDS}` };
    }
    case "count": {
      const n = Number(raw);
      return /^\d+$/.test(raw.trim()) && n >= 1 && n <= 10_000 ? { value: n } : { error: `${where}: "${raw}" must be a whole number from 1 to 10000` };
    }
    case "cron": {
      const v = validateCronExpression(raw);
      const fields = raw.trim().split(/\s+/).length;
      if (!v.valid) return { error: `${where}: "${raw}" is not a cron expression: ${v.error?.message ?? "invalid"}` };
      return fields === 6 ? { value: raw.trim() } : { error: `${where}: "${raw}" has ${fields} fields; give 6, seconds first (e.g. "*/30 * * * * *")` };
    }
    case "secretRef": {
      const ref = parseSecretRef(raw);
      return typeof ref === "string" ? { error: `${where}: ${ref}` } : { value: ref };
    }
    case "bytes": {
      const n = Number(raw);
      return raw.trim() !== "" && Number.isSafeInteger(n) && n > 0 ? { value: n } : { error: `${where}: "${raw}" must be a positive number of bytes` };
    }
  }
}

export type ConfigResult = { ok: true; config: ServeConfig } | { ok: false; errors: string[] };

const BOOLEAN_FLAGS = new Set(SERVE_SETTINGS.filter((s) => s.kind === "boolean").map((s) => `--${s.flag}`));

/** `--no-cluster` alone means `--no-cluster=true`; `--no-cluster false` and `--no-cluster=false` still work. */
const expandBareBooleans = (argv: readonly string[]) =>
  argv.map((a, i) => (BOOLEAN_FLAGS.has(a) && !/^(true|false|1|0|yes|no)$/i.test(argv[i + 1] ?? "") ? `${a}=true` : a));

/** Flags win over environment variables, which win over defaults. Pure: argv and env are passed in. */
export function parseServeConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ConfigResult {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: expandBareBooleans(argv),
      options: Object.fromEntries(SERVE_SETTINGS.map((s) => [s.flag, { type: "string" as const }])),
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (err) {
    return { ok: false, errors: [err instanceof Error ? err.message : String(err)] };
  }
  const errors: string[] = [];
  const config: Record<string, unknown> = {};
  for (const s of SERVE_SETTINGS) {
    const raw = (flags[s.flag] as string | undefined) ?? (s.env ? env[s.env] : undefined) ?? s.default;
    if (raw === undefined) continue;
    const r = convert(s, raw);
    if ("error" in r) errors.push(r.error);
    else config[s.key] = r.value;
  }
  if (errors.length === 0 && config["leaderElect"]) {
    const timing = leaseTimingError(config as unknown as ServeConfig);
    if (timing) errors.push(`--leader-lease-duration-seconds, --leader-renew-deadline-seconds, --leader-retry-period-seconds: ${timing}`);
  }
  return errors.length ? { ok: false, errors } : { ok: true, config: config as unknown as ServeConfig };
}

export function serveUsage(): string {
  const rows = [["flag", "environment", "default", "meaning"], ...SERVE_SETTINGS.map((s) => [`--${s.flag}`, s.env ?? "", s.default ?? "", s.help])];
  // Each column as wide as its widest cell: a long flag or default must not run into the next column.
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `  ${r.slice(0, 3).map((cell, c) => cell.padEnd(widths[c]!)).join("  ")}  ${r[3]}`;
  return ["Usage: kmm-preflight serve [flags]", "", ...rows.map(line)].join("\n");
}
