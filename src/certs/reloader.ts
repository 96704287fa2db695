import { watch, type FSWatcher } from "node:fs";
import type { Logger } from "../log/logger.js";
import { type Clock, systemClock } from "../util/clock.js";
import { CertificateError, hashCertificatePems, parseCertificates, readCertificateFiles, type LoadedCertificates } from "./cert-files.js";

export const DEFAULT_POLL_INTERVAL_MS = 10_000;
export const DEFAULT_DEBOUNCE_MS = 200;

export interface CertificateReloaderOptions {
  /** Directory holding tls.crt, tls.key and optionally ca.crt (e.g. a mounted kubernetes.io/tls Secret). */
  readonly dir: string;
  readonly log: Logger;
  /** How often the files are re-read, whatever fs.watch reports. @default 10_000 (DEFAULT_POLL_INTERVAL_MS) */
  readonly pollIntervalMs?: number;
  /** Quiet time after the last fs.watch event before the files are read, so one rotation is read once. @default 200 (DEFAULT_DEBOUNCE_MS) */
  readonly debounceMs?: number;
  /** Also react to fs.watch events on the directory; polling alone still catches every change. @default true */
  readonly watch?: boolean;
  /**
   * Called with each new valid pair, e.g. `c => server.setSecureContext({ cert: c.cert, key: c.key, minVersion: "TLSv1.2" })`.
   * Not called for the initial load: {@link CertificateReloader.start} returns that. If it throws, the old pair stays current.
   */
  readonly onReload: (c: LoadedCertificates) => void;
  /** Polling and debounce timers, and the time validity is judged at. @default systemClock */
  readonly clock?: Clock;
}

/**
 * Keeps a serving certificate fresh without a restart. It watches the directory rather than the files,
 * because a mounted Secret is updated by swapping its `..data` symlink, and it also polls because fs.watch
 * misses events on some filesystems. A change is only applied once tls.crt and tls.key form a valid pair;
 * until then (a half-written rotation) the current pair keeps serving and one warning is logged per content seen.
 */
export class CertificateReloader {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #pollIntervalMs: number;
  readonly #debounceMs: number;
  readonly #useWatch: boolean;
  readonly #onReload: (c: LoadedCertificates) => void;
  readonly #clock: Clock;

  #current: LoadedCertificates | undefined;
  /** Hash of the files behind #current. */
  #servingHash = "";
  /** Hash (or read error) last looked at, valid or not, so the same broken content is not re-parsed and re-logged. */
  #seenHash = "";
  #watcher: FSWatcher | undefined;
  #cancelPoll: (() => void) | undefined;
  #cancelDebounce: (() => void) | undefined;
  #checking: Promise<boolean> | undefined;
  #checkAgain = false;
  #started = false;
  #stopped = false;

  constructor(opts: CertificateReloaderOptions) {
    this.#dir = opts.dir;
    this.#log = opts.log;
    this.#pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.#debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.#useWatch = opts.watch ?? true;
    this.#onReload = opts.onReload;
    this.#clock = opts.clock ?? systemClock;
    if (!(this.#pollIntervalMs > 0)) throw new RangeError(`pollIntervalMs: Invalid: ${this.#pollIntervalMs}: must be a positive number of milliseconds`);
    if (!(this.#debounceMs >= 0)) throw new RangeError(`debounceMs: Invalid: ${this.#debounceMs}: must be zero or more milliseconds`);
  }

  /** The pair being served. Throws before {@link start}. */
  get current(): LoadedCertificates {
    if (!this.#current) throw new Error("CertificateReloader: current read before start() resolved");
    return this.#current;
  }

  /** Loads the pair (throws a CertificateError if it is missing or invalid), then starts watching and polling. */
  async start(): Promise<LoadedCertificates> {
    if (this.#started) throw new Error("CertificateReloader: start() called twice");
    this.#started = true;
    const pems = await readCertificateFiles(this.#dir);
    const loaded = parseCertificates(pems, this.#dir);
    this.#current = loaded;
    this.#servingHash = this.#seenHash = hashCertificatePems(pems);
    this.#log.info("loaded certificates", describe(this.#dir, loaded));
    this.#warnIfOutsideValidity(loaded);
    if (this.#stopped) return loaded;

    if (this.#useWatch) this.#startWatcher();
    this.#schedulePoll();
    return loaded;
  }

  /** Why the pair being served cannot be trusted by clients now (expired), or undefined. */
  problem(): string | undefined {
    const notAfter = this.current.notAfter;
    return notAfter.getTime() < this.#clock.wallNow().getTime() ? `serving certificate expired at ${notAfter.toISOString()}` : undefined;
  }

  /**
   * Re-reads the files now (as the timer and watcher do) and resolves true if a new pair was applied.
   * Calls made while a check runs join it and cause one more pass afterwards.
   */
  check(): Promise<boolean> {
    if (!this.#current || this.#stopped) return Promise.resolve(false);
    if (this.#checking) {
      this.#checkAgain = true;
      return this.#checking;
    }
    this.#checking = (async () => {
      let reloaded = false;
      do {
        this.#checkAgain = false;
        reloaded = (await this.#checkOnce()) || reloaded;
      } while (this.#checkAgain && !this.#stopped);
      return reloaded;
    })().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /** Closes the watcher and clears the timers. A check already reading files finishes but applies nothing. */
  stop(): void {
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#cancelPoll?.();
    this.#cancelDebounce?.();
  }

  #schedulePoll(): void {
    if (this.#stopped) return;
    this.#cancelPoll = this.#clock.setTimer(() => {
      this.#checkInBackground();
      this.#schedulePoll();
    }, this.#pollIntervalMs);
  }

  #startWatcher(): void {
    try {
      this.#watcher = watch(this.#dir, { persistent: false }, () => this.#scheduleCheck());
      this.#watcher.on("error", (err) => {
        this.#log.warn("watching the certificate directory failed; relying on polling", { dir: this.#dir, error: errorMessage(err), pollIntervalMs: this.#pollIntervalMs });
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#log.warn("cannot watch the certificate directory; relying on polling", { dir: this.#dir, error: errorMessage(err), pollIntervalMs: this.#pollIntervalMs });
    }
  }

  #scheduleCheck(): void {
    if (this.#stopped) return;
    this.#cancelDebounce?.();
    this.#cancelDebounce = this.#clock.setTimer(() => this.#checkInBackground(), this.#debounceMs);
  }

  #checkInBackground(): void {
    this.check().catch((err: unknown) => {
      this.#log.error("certificate reload check failed", { dir: this.#dir, error: errorMessage(err) });
    });
  }

  async #checkOnce(): Promise<boolean> {
    const current = this.current;
    let pems;
    try {
      pems = await readCertificateFiles(this.#dir);
    } catch (err) {
      const seen = `error:${errorMessage(err)}`;
      if (seen !== this.#seenHash) {
        this.#seenHash = seen;
        this.#log.warn("cannot read rotated certificates; keeping the current certificate", { ...errorFields(err), dir: this.#dir, fingerprint: current.fingerprint });
      }
      return false;
    }
    const hash = hashCertificatePems(pems);
    if (hash === this.#seenHash) return false;
    this.#seenHash = hash;
    if (hash === this.#servingHash) return false; // back to what we serve after a transient state

    let loaded: LoadedCertificates;
    try {
      loaded = parseCertificates(pems, this.#dir);
    } catch (err) {
      this.#log.warn("certificate files changed but are not a valid pair yet; keeping the current certificate", {
        ...errorFields(err),
        dir: this.#dir,
        fingerprint: current.fingerprint,
      });
      return false;
    }
    if (this.#stopped) return false;
    try {
      this.#onReload(loaded);
    } catch (err) {
      this.#log.error("applying reloaded certificates failed; keeping the current certificate", {
        dir: this.#dir,
        error: errorMessage(err),
        fingerprint: current.fingerprint,
        rejectedFingerprint: loaded.fingerprint,
      });
      return false;
    }
    this.#current = loaded;
    this.#servingHash = hash;
    this.#log.info("reloaded certificates", { ...describe(this.#dir, loaded), previousFingerprint: current.fingerprint });
    this.#warnIfOutsideValidity(loaded);
    return true;
  }

  #warnIfOutsideValidity(c: LoadedCertificates): void {
    const now = this.#clock.wallNow().getTime();
    if (c.notAfter.getTime() <= now) {
      this.#log.warn("serving certificate has expired; clients will reject it until it is rotated", describe(this.#dir, c));
    } else if (c.notBefore.getTime() > now) {
      this.#log.warn("serving certificate is not valid yet; check the clocks", { ...describe(this.#dir, c), notBefore: c.notBefore.toISOString() });
    }
  }
}

function describe(dir: string, c: LoadedCertificates) {
  return { dir, fingerprint: c.fingerprint, notAfter: c.notAfter.toISOString(), dnsNames: c.dnsNames };
}

function errorFields(err: unknown) {
  return err instanceof CertificateError ? { error: err.message, kind: err.kind, files: err.files } : { error: errorMessage(err) };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
