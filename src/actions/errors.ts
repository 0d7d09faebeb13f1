/**
 * Why the domain refuses a request, in its own words. It knows nothing of HTTP: the boundary (the one
 * `onError` in src/http) maps each kind to a status code and the problem+json envelope.
 */

/** One problem with one field of a request, named by its path (`params.courses`, `file`). */
export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * - `invalid`: the request names things that cannot be (each in `problems`);
 * - `conflict`: it cannot be done in the state things are in now (`retryAfterSeconds` when waiting helps).
 */
export type RefusalKind = "invalid" | "conflict";

export class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    readonly options: {
      problems?: FieldProblem[];
      /** A short stable name for this refusal (`idempotency-key-in-use`). */
      code?: string;
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
  }
}

/** Field problems found at submission (unknown group or course…): one sentence, every problem listed. */
export const invalidInput = (problems: FieldProblem[]) =>
  new Refusal(
    "invalid",
    problems.length === 1 ? problems[0]!.message : `The request has ${problems.length} problems.`,
    { problems, code: "invalid-request" },
  );
