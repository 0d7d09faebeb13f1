/**
 * Places for upload bodies being received, per person and per process. An upload costs a few chunks of
 * memory, a temp file and a database staging run while it lasts; one person sending many at once, or many
 * people at once, must not take the process's memory or disk from everyone else. Over a person's places:
 * 429 (that person waits); over the process's: 503 (any process behind the balancer may have room).
 */
import { HttpProblem } from "./problem";

/** What a client is told to wait: an upload usually ends within seconds. */
export const UPLOAD_RETRY_AFTER_S = 5;

export class UploadGate {
  private readonly byPerson = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perPerson: number,
    private readonly perProcess: number,
  ) {}

  /** Uploads being received now (for tests and metrics). */
  get receiving(): number {
    return this.total;
  }

  /** Takes a place for `person`'s upload, or throws 429/503; call the returned function exactly once at the end. */
  enter(person: string): () => void {
    const mine = this.byPerson.get(person) ?? 0;
    if (mine >= this.perPerson) {
      throw new HttpProblem(
        429,
        `You are already sending ${mine} uploads; wait for one to finish, then send this one again.`,
        { type: "/problems/too-many-uploads", headers: { "retry-after": String(UPLOAD_RETRY_AFTER_S) } },
      );
    }
    if (this.total >= this.perProcess) {
      throw new HttpProblem(503, "The tracker is receiving as many uploads as it can; try again shortly.", {
        type: "/problems/uploads-busy",
        headers: { "retry-after": String(UPLOAD_RETRY_AFTER_S) },
      });
    }
    this.byPerson.set(person, mine + 1);
    this.total++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.total--;
      const now = (this.byPerson.get(person) ?? 1) - 1;
      if (now > 0) this.byPerson.set(person, now);
      else this.byPerson.delete(person);
    };
  }
}

/** True for a body that may carry files (a form), as opposed to a small JSON body. */
export const isUpload = (request: Request) =>
  (request.headers.get("content-type") ?? "").trim().toLowerCase().startsWith("multipart/");

/** Runs `work` (reading and staging the body) holding one upload place when the body is an upload. */
export async function withUploadPlace<T>(
  gate: UploadGate,
  person: string,
  request: Request,
  work: () => Promise<T>,
): Promise<T> {
  if (!isUpload(request)) return work();
  const leave = gate.enter(person);
  try {
    return await work();
  } finally {
    leave();
  }
}
