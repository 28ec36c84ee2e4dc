/**
 * Turning zod's issues into config errors: one line each, `FILE:LINE: key.path: message`.
 *
 * @module
 */
import type { z } from "zod";
import { ConfigError } from "../errors.ts";
import type { Locator } from "./yaml.ts";

/**
 * A config with one or more problems. `message` is the first (by line); `problems` has them
 * all, one line each, in file order (the `validate` command prints them all).
 *
 * @example
 * ```ts
 * import { ConfigProblems } from "./issues.ts";
 * const e = new ConfigProblems(["p.yaml:2: fps: must be a number > 0 (got 0)"]);
 * console.log(e.message, e.exitCode); // "p.yaml:2: fps: ..." 2
 * ```
 */
export class ConfigProblems extends ConfigError {
  /** Every problem, one line each. */
  readonly problems: string[];
  /** Creates the error from its lines (at least one). */
  constructor(problems: string[]) {
    super(problems[0]);
    this.problems = problems;
  }
}

/**
 * A value as it reads in a message: `string "fast"`, `a list`, `null`.
 *
 * @example
 * ```ts
 * import { describeValue } from "./issues.ts";
 * console.log(describeValue("fast"), describeValue([1])); // string "fast" a list
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

const KINDS: Record<string, string> = {
  number: "a number",
  int: "an integer",
  string: "a non-empty string",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  never: "absent",
};

/**
 * The message of one raw zod issue, for zod's per-parse `error` option. Schemas that set their
 * own `error` keep theirs.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { issueMessage } from "./issues.ts";
 * const r = z.number().positive().safeParse(0, { error: issueMessage });
 * console.log(r.error?.issues[0].message); // "must be a number > 0 (got number 0)"
 * ```
 */
export function issueMessage(issue: z.core.$ZodRawIssue): string {
  const got = ` (got ${describeValue(issue.input)})`;
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === undefined) return "is required";
      const kind = KINDS[issue.expected] ?? issue.expected;
      return `must be ${kind}${got}`;
    }
    case "too_small":
    case "too_big": {
      const small = issue.code === "too_small";
      const limit = Number(issue[small ? "minimum" : "maximum"]);
      if (issue.origin === "string" && small && limit <= 1) return `must be a non-empty string`;
      if (issue.origin === "array" || issue.origin === "string") {
        const what = issue.origin === "array" ? "items" : "characters";
        return `must have ${small ? "at least" : "at most"} ${limit} ${what}${got}`;
      }
      const sign = small ? (issue.inclusive ? ">=" : ">") : (issue.inclusive ? "<=" : "<");
      return `must be ${sign} ${limit}${got}`;
    }
    case "invalid_value":
      return `must be ${
        issue.values.length === 1
          ? JSON.stringify(issue.values[0])
          : `one of ${issue.values.join(", ")}`
      }${got}`;
    case "unrecognized_keys":
      return `unknown key '${issue.keys[0]}'`;
    case "invalid_format":
      return `must be ${
        issue.format === "regex" ? "of the right form" : `a ${issue.format}`
      }${got}`;
    case "invalid_union":
      return `is not valid${got}`;
    default:
      return `is not valid${got}`;
  }
}

/**
 * The config error for a failed parse: every issue as a line `FILE:LINE: key.path: message`
 * (an unknown key names its own line), sorted by line.
 *
 * @example
 * ```ts
 * import { LineCounter, parseDocument } from "yaml";
 * import { z } from "zod";
 * import { issueMessage, problemsOf } from "./issues.ts";
 * import { Locator } from "./yaml.ts";
 * const lines = new LineCounter();
 * const doc = parseDocument("a: 1\nfps: 0\n", { lineCounter: lines });
 * const r = z.object({ fps: z.number().positive() }).safeParse(doc.toJS(), { error: issueMessage });
 * throw problemsOf(new Locator("p.yaml", doc, lines), r.error!.issues);
 * ```
 */
export function problemsOf(at: Locator, issues: readonly z.core.$ZodIssue[]): ConfigProblems {
  const located = issues.map((issue) => {
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
    return { line: at.line(path), text: at.message(path, issue.message) };
  });
  located.sort((a, b) => a.line - b.line);
  return new ConfigProblems([...new Set(located.map((l) => l.text))]);
}
