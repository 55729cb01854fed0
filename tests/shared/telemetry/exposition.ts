/** Reading values out of a Prometheus text exposition in tests. */

/** The value of one sample line (`name{labels}` exactly as exposed), or undefined. */
export function sampleValue(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    const i = line.lastIndexOf(" ");
    if (i > 0 && line.slice(0, i) === series) return Number(line.slice(i + 1));
  }
  return undefined;
}
