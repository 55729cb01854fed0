/**
 * The summary and description templates of alert rules: `{{host}}`, `{{value}}`,
 * `{{rule}}`, `{{metric}}`, `{{severity}}`, `{{threshold}}` and `{{labels.<key>}}`.
 * Unknown placeholders are refused when rules are loaded, never at notification time.
 *
 * @example
 * ```ts
 * renderTemplate("{{host}} disk {{labels.mount}} at {{value}} %", { host: "web-1", value: 91.234, labels: { mount: "/" }, rule: "DiskFull", metric: "disk.used_pct", severity: "warning", threshold: 90 });
 * // "web-1 disk / at 91.23 %"
 * ```
 */

/** Placeholders every template may use besides `labels.<key>`. */
export const TEMPLATE_NAMES = ["host", "value", "rule", "metric", "severity", "threshold"] as const;

/** What a template is rendered with. */
export interface TemplateContext {
  host: string;
  /** The evaluated value; null when there is no data. */
  value: number | null;
  rule: string;
  metric: string;
  severity: string;
  threshold: number;
  labels: Record<string, string>;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAMES: ReadonlySet<string> = new Set(TEMPLATE_NAMES);

/** Formats a value for people: at most two decimals, `no data` for null. */
export function formatValue(value: number | null): string {
  if (value === null) return "no data";
  if (Number.isInteger(value)) return String(value);
  return String(Math.round(value * 100) / 100);
}

/** Why `text` is not a valid template, or null when it is. */
export function templateError(text: string): string | null {
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1];
    if (NAMES.has(name)) continue;
    if (/^labels\.[^\s{}]+$/.test(name)) continue;
    return `unknown placeholder {{${name}}}; use ${
      TEMPLATE_NAMES.map((n) => `{{${n}}}`).join(", ")
    } or {{labels.<key>}}`;
  }
  const rest = text.replace(PLACEHOLDER, "");
  if (rest.includes("{{") || rest.includes("}}")) return "unbalanced {{ }}";
  return null;
}

/** Renders a template validated by `templateError`; a missing label renders as empty text. */
export function renderTemplate(text: string, ctx: TemplateContext): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    switch (name) {
      case "host":
        return ctx.host;
      case "value":
        return formatValue(ctx.value);
      case "rule":
        return ctx.rule;
      case "metric":
        return ctx.metric;
      case "severity":
        return ctx.severity;
      case "threshold":
        return formatValue(ctx.threshold);
    }
    if (name.startsWith("labels.")) return ctx.labels[name.slice("labels.".length)] ?? "";
    return "";
  });
}
