/**
 * The alerting configuration in force, and its reload (SIGHUP, `POST /api/v1/alerts/reload`,
 * or a reload requested by another replica): a bad reload keeps the old configuration
 * and reports why.
 */
import type { Logger } from "../../shared/log.ts";
import type { AlertConfig } from "./alert_config.ts";

/** The outcome of one reload. */
export type ReloadResult =
  | { ok: true; rules: number; receivers: number }
  | { ok: false; error: string; rules: number; receivers: number };

/** The configuration with when and from which reload it came. */
export interface LoadedAlertConfig extends AlertConfig {
  /** Epoch ms of the load that produced it. */
  loadedAt: number;
  /** Increases by one with every successful (re)load. */
  version: number;
}

/** Holds the current configuration; `reload()` swaps it only when the new one is valid. */
export class AlertConfigHolder {
  #current: LoadedAlertConfig;
  #last: { at: number; ok: boolean; error: string | null };
  #reloading: Promise<ReloadResult> | null = null;

  constructor(
    initial: AlertConfig,
    private readonly load: () => Promise<AlertConfig>,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {
    const at = now();
    this.#current = { ...initial, loadedAt: at, version: 1 };
    this.#last = { at, ok: true, error: null };
  }

  /** The configuration in force. */
  get current(): LoadedAlertConfig {
    return this.#current;
  }

  /** When the last reload ran, whether it succeeded and why not. */
  get lastReload(): { at: number; ok: boolean; error: string | null } {
    return this.#last;
  }

  /** Loads and validates again; concurrent calls share one load. */
  reload(): Promise<ReloadResult> {
    this.#reloading ??= this.#reload().finally(() => (this.#reloading = null));
    return this.#reloading;
  }

  async #reload(): Promise<ReloadResult> {
    const at = this.now();
    try {
      const next = await this.load();
      this.#current = { ...next, loadedAt: at, version: this.#current.version + 1 };
      this.#last = { at, ok: true, error: null };
      this.log.info("alert configuration reloaded", {
        rules: next.rules.length,
        receivers: next.receivers.length,
      });
      return { ok: true, rules: next.rules.length, receivers: next.receivers.length };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.#last = { at, ok: false, error };
      this.log.error("alert configuration reload failed; the previous configuration stays", {
        error,
      });
      return {
        ok: false,
        error,
        rules: this.#current.rules.length,
        receivers: this.#current.receivers.length,
      };
    }
  }
}
