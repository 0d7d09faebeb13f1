/**
 * `npm run demo`: starts a handful of real actions for the demo admin on a running tracker, so a newcomer
 * sees the page live within a minute of cloning: one upload with errors, one that fails, one scheduled a
 * couple of minutes ahead, a content package, one large upload to watch progress, and a group enrollment.
 *
 *   npm start            # in one terminal
 *   npm run demo         # in another; then open the sign-in link it prints
 *
 * TRACKER_URL (default http://localhost:8787), AUTH_SECRET (else the development default, as the server),
 * DEMO_ROWS (rows of the large upload, default 60000).
 */
import { strToU8, zipSync } from "fflate";
import { DEV_AUTH_SECRET } from "../src/config";
import { DEMO_ADMIN } from "../src/dev/sign-in-hint";
import { signToken } from "../src/http/auth";

const base = (process.env.TRACKER_URL || "http://localhost:8787").replace(/\/+$/, "");
const rows = Number(process.env.DEMO_ROWS || 60_000);
const token = signToken(
  { ...DEMO_ADMIN, exp: Math.floor(Date.now() / 1000) + 86_400 },
  process.env.AUTH_SECRET || DEV_AUTH_SECRET,
);
const auth = { authorization: `Bearer ${token}` };

interface Started {
  referenceId: string;
  typeLabel: string;
  statusLabel: string;
  fileName: string | null;
}
const started: Started[] = [];

/** POSTs an action; prints and returns it, or explains the refusal and returns null (the demo goes on). */
async function start(what: string, body: FormData | object): Promise<Started | null> {
  const init: RequestInit =
    body instanceof FormData
      ? { method: "POST", body, headers: auth }
      : {
          method: "POST",
          body: JSON.stringify(body),
          headers: { ...auth, "content-type": "application/json" },
        };
  const res = await fetch(`${base}/v1/actions`, init);
  const answer = (await res.json().catch(() => ({}))) as Started & {
    detail?: string;
    errors?: { message: string }[];
  };
  if (res.status !== 202) {
    const why = answer.errors?.map((e) => e.message).join("; ") || answer.detail || res.statusText;
    console.log(`  - ${what}: not started (${res.status}): ${why}`);
    return null;
  }
  started.push(answer);
  console.log(`  + ${what}: ${answer.referenceId} (${answer.statusLabel})`);
  return answer;
}

function upload(
  type: string,
  name: string,
  content: string | Uint8Array,
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  form.set("type", type);
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  const bytes = typeof content === "string" ? strToU8(content) : content;
  form.set("file", new File([bytes as Uint8Array<ArrayBuffer>], name));
  return form;
}

/** Waits (briefly) for an action to end, so the next one can build on it. */
async function settle(ref: string, seconds = 20): Promise<string> {
  for (let i = 0; i < seconds * 4; i++) {
    const res = await fetch(`${base}/v1/actions/${ref}`, { headers: auth });
    const action = (await res.json()) as { status: string };
    if (["completed", "completed_with_errors", "failed", "cancelled", "timeout"].includes(action.status))
      return action.status;
    await Bun.sleep(250);
  }
  return "still running";
}

const SPRING_HIRES = [
  "email,first_name,last_name,role,department,groups",
  "grace.hopper@example.com,Grace,Hopper,admin,Engineering,New hires",
  "alan.turing@example.com,Alan,Turing,learner,Research,New hires",
  "not-an-email,Broken,Address,learner,Sales,New hires",
  "katherine.johnson@example.com,Katherine,,learner,Research,New hires",
  "alan.turing@example.com,Alan,Again,learner,Research,New hires",
  "ken.thompson@example.com,Ken,Thompson,wizard,Engineering,New hires",
  "barbara.liskov@example.com,Barbara,Liskov,manager,Engineering,New hires;Mentors",
].join("\n");

const MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="SAFETY-101" version="1.0" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2">
  <organizations default="ORG"><organization identifier="ORG"><title>Health and Safety Basics</title>
    <item identifier="I1" identifierref="R1"><title>Start</title></item></organization></organizations>
  <resources><resource identifier="R1" type="webcontent" href="index.html"><file href="index.html"/></resource></resources>
</manifest>`;

/** Generated staff, each in a department group too: enough work per row to see the bar move. */
function bigCsv(count: number): string {
  const lines = ["email,first_name,last_name,department,groups"];
  for (let i = 1; i <= count; i++) {
    const dept = `Dept ${(i % 40) + 1}`;
    lines.push(`person${i}@example.com,Person,Number ${i},${dept},All staff;${dept}`);
  }
  return lines.join("\n");
}

async function main() {
  const health = await fetch(`${base}/healthz`).catch(() => null);
  if (!health?.ok) {
    console.error(`No tracker answers at ${base}. Start it first with \`npm start\` (or set TRACKER_URL).`);
    process.exit(1);
  }
  console.log(`Starting demo actions on ${base} for ${DEMO_ADMIN.name}:`);
  const hires = await start(
    "user upload with errors",
    upload("user_upload", "spring-hires.csv", SPRING_HIRES),
  );
  await start(
    "user upload without an email column",
    upload("user_upload", "contractors.csv", "name,role\nAda,learner"),
  );
  const inTwoMinutes = new Date(Date.now() + 120_000).toISOString();
  await start(
    "user upload scheduled in 2 minutes",
    upload(
      "user_upload",
      "autumn-cohort.csv",
      "email,first_name,last_name\nmary.jackson@example.com,Mary,Jackson",
      {
        scheduledFor: inTwoMinutes,
      },
    ),
  );
  const course = await start(
    "content upload (SCORM 1.2)",
    upload(
      "content_upload",
      "safety-basics.zip",
      zipSync({ "imsmanifest.xml": strToU8(MANIFEST), "index.html": strToU8("<html>Hi</html>") }),
    ),
  );
  await start(
    `large user upload (${rows.toLocaleString("en-US")} rows)`,
    upload("user_upload", "all-staff.csv", bigCsv(rows)),
  );
  // The enrollment names the group the first upload creates and the course the package creates.
  if (hires) await settle(hires.referenceId);
  if (course) await settle(course.referenceId);
  await start("group enrollment", {
    type: "group_enroll",
    params: { group: "New hires", courses: ["SAFETY-101"] },
  });

  console.log(`\nStarted ${started.length} actions. Watch them live:`);
  console.log(`  ${base}/dev/sign-in   (development sign-in as ${DEMO_ADMIN.name})`);
  for (const a of started)
    console.log(`  ${base}/?ref=${a.referenceId}   ${a.typeLabel}${a.fileName ? ` · ${a.fileName}` : ""}`);
}

await main();
