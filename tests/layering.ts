/** Pure check behind the layering test: which files import across forbidden layer lines. */

/** A source file's repository-relative path and text. */
export interface SourceFile {
  path: string;
  text: string;
}

const FORBIDDEN: Record<string, string[]> = {
  shared: ["agent", "server"],
  agent: ["server"],
  server: ["agent"],
};

const IMPORT_RE =
  /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\s*\(?\s*["']([^"']+)["']/g;

function resolve(from: string, spec: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const seg of spec.split("/")) {
    if (seg === "..") parts.pop();
    else if (seg !== ".") parts.push(seg);
  }
  return parts.join("/");
}

/** Lists "<file> imports <target>" for every import that crosses a forbidden line. */
export function findLayeringViolations(files: SourceFile[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const layer = f.path.split("/")[0];
    const banned = FORBIDDEN[layer] ?? [];
    for (const m of f.text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith(".")) continue;
      const target = resolve(f.path, spec);
      if (banned.includes(target.split("/")[0])) out.push(`${f.path} imports ${target}`);
    }
  }
  return out;
}
