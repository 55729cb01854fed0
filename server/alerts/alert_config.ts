/**
 * Reading the alerting configuration: rules and receivers from the rules file
 * (`ALERT_RULES_FILE`, JSON or YAML) and from `ALERT_RULES` / `ALERT_RECEIVERS` (JSON
 * arrays). Pure: the file's text is passed in; `main.ts` reads it.
 *
 * The file is either a list of rules or an object `{rules: [...], receivers: [...]}`.
 * Every problem of every source is reported at once, each naming the source, the rule
 * (index and name) and the field.
 */
import { parse as parseYaml } from "yaml";
import { type Receiver, validateReceiver } from "../notify/receiver.ts";
import type { AlertRule } from "./rule.ts";
import { checkUniqueNames, RuleValidationError, validateRules } from "./rule_validation.ts";

/** A validated alerting configuration. */
export interface AlertConfig {
  rules: AlertRule[];
  receivers: Receiver[];
}

/** Where the configuration comes from: texts, not paths, so parsing stays pure. */
export interface AlertConfigSources {
  /** The rules file, when `ALERT_RULES_FILE` is set. */
  file?: { path: string; text: string };
  /** `ALERT_RULES`: a JSON array of rules. */
  rulesEnv?: string;
  /** `ALERT_RECEIVERS`: a JSON array of receivers. */
  receiversEnv?: string;
}

/** The configuration is invalid; the message lists every problem, one per line. */
export class AlertConfigError extends Error {}

const FILE_KEYS = new Set(["rules", "receivers"]);

function parseText(text: string, source: string, yaml: boolean): unknown {
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    const why = (e as Error).message.split("\n")[0];
    throw new AlertConfigError(`${source}: not valid ${yaml ? "YAML" : "JSON"}: ${why}`);
  }
}

/** Parses and validates every source; throws `AlertConfigError` listing all problems. */
export function parseAlertConfig(src: AlertConfigSources): AlertConfig {
  const problems: string[] = [];
  const rules: { rule: AlertRule; source: string }[] = [];
  const receivers: { receiver: Receiver; source: string }[] = [];

  const addRules = (raw: unknown, source: string) => {
    try {
      validateRules(raw, source).forEach((rule, i) =>
        rules.push({ rule, source: `${source}: rules[${i}]` })
      );
    } catch (e) {
      if (!(e instanceof RuleValidationError)) throw e;
      problems.push(...e.problems);
    }
  };
  const addReceivers = (raw: unknown, source: string) => {
    if (!Array.isArray(raw)) {
      problems.push(`${source}: receivers must be a list`);
      return;
    }
    raw.forEach((r, i) => {
      const where = `${source}: receivers[${i}]`;
      const result = validateReceiver(r, where);
      if (Array.isArray(result)) problems.push(...result);
      else receivers.push({ receiver: result, source: where });
    });
  };

  if (src.file) {
    const source = `ALERT_RULES_FILE ${src.file.path}`;
    const yaml = !/\.json$/i.test(src.file.path);
    try {
      const doc = parseText(src.file.text, source, yaml);
      if (doc === null || doc === undefined) {
        // An empty file: no rules, no receivers.
      } else if (Array.isArray(doc)) {
        addRules(doc, source);
      } else if (typeof doc === "object") {
        const obj = doc as Record<string, unknown>;
        for (const k of Object.keys(obj)) {
          if (!FILE_KEYS.has(k)) {
            problems.push(`${source}: ${k}: unknown key; use rules, receivers`);
          }
        }
        if (obj.rules !== undefined) addRules(obj.rules, source);
        if (obj.receivers !== undefined) addReceivers(obj.receivers, source);
      } else {
        problems.push(`${source}: must be a list of rules or an object with rules and receivers`);
      }
    } catch (e) {
      if (!(e instanceof AlertConfigError)) throw e;
      problems.push(e.message);
    }
  }
  for (
    const [value, name, add] of [
      [src.rulesEnv, "ALERT_RULES", addRules],
      [src.receiversEnv, "ALERT_RECEIVERS", addReceivers],
    ] as const
  ) {
    if (value === undefined || value.trim() === "") continue;
    try {
      add(parseText(value, name, false), name);
    } catch (e) {
      if (!(e instanceof AlertConfigError)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length === 0) {
    try {
      checkUniqueNames(rules);
    } catch (e) {
      if (!(e instanceof RuleValidationError)) throw e;
      problems.push(...e.problems);
    }
    const seen = new Map<string, string>();
    for (const { receiver, source } of receivers) {
      const first = seen.get(receiver.name);
      if (first) {
        problems.push(
          `${source}: name: ${JSON.stringify(receiver.name)} is already used by ${first}`,
        );
      } else seen.set(receiver.name, source);
    }
  }
  if (problems.length > 0) throw new AlertConfigError(problems.join("\n"));
  return { rules: rules.map((r) => r.rule), receivers: receivers.map((r) => r.receiver) };
}
