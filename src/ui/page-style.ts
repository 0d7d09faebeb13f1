/**
 * The tracker page's stylesheet, served as a hashed, immutable asset (the CSP allows styles from 'self'
 * only). Calm neutrals, one accent, and a colour per status that is never the only signal: every badge
 * also has its own icon shape and its label. Light and dark follow the viewer's system setting.
 */
export const PAGE_CSS = `
:root{--bg:#f5f6f8;--surface:#fff;--text:#16191f;--muted:#5d6675;--faint:#6b7482;--line:#e4e7ec;--line2:#eef0f3;
--accent:#3451d1;--accent-bg:#eef1ff;--hover:#f9fafb;--target:#fff8db;--shadow:0 1px 2px rgba(16,24,40,.05),0 1px 3px rgba(16,24,40,.06);
--n-fg:#434b57;--n-bg:#eff1f4;--sc-fg:#5b34c7;--sc-bg:#f2eeff;--ip-fg:#1d5bd6;--ip-bg:#e9f0ff;--ok-fg:#137547;--ok-bg:#e5f6ec;
--we-fg:#8a5300;--we-bg:#fff3d6;--er-fg:#b4232a;--er-bg:#fdebec;--to-fg:#a5430a;--to-bg:#ffeedf;--bar:#e6e9ee;
font:14px/1.45 ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--text);background:var(--bg);color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--surface:#171a21;--text:#e7e9ee;--muted:#a2aab8;--faint:#7b8493;--line:#2a2f39;--line2:#222630;
--accent:#8ea2ff;--accent-bg:#232a47;--hover:#1c2029;--target:#3a3214;--shadow:none;--n-fg:#c3c9d4;--n-bg:#262b35;--sc-fg:#c5b3ff;--sc-bg:#2c2444;
--ip-fg:#9dbcff;--ip-bg:#1e2a46;--ok-fg:#6fd69d;--ok-bg:#17322a;--we-fg:#f3c45e;--we-bg:#3a2e12;--er-fg:#ff9a9f;--er-bg:#3d1d21;--to-fg:#ffb37a;--to-bg:#3b2615;--bar:#2a2f39}}
*{box-sizing:border-box}[hidden]{display:none!important}body{margin:0;min-height:100vh}
a{color:var(--accent)}button,select{font:inherit;color:inherit}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.skip{position:absolute;left:-999px;top:8px;background:var(--surface);padding:8px 12px;border-radius:8px;z-index:9}.skip:focus{left:8px}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px;border-radius:4px}
.icon{width:16px;height:16px;flex:none;fill:none;stroke:currentColor;stroke-width:1.6;stroke-linecap:round;stroke-linejoin:round}
.topbar{display:flex;align-items:center;gap:16px;padding:0 28px;height:56px;background:var(--surface);border-bottom:1px solid var(--line)}
.brand{display:flex;align-items:center;gap:10px;font-weight:650;letter-spacing:-.01em}
.logo{width:26px;height:26px;border-radius:7px;background:var(--accent);color:#fff;display:grid;place-items:center}.logo .icon{width:16px;height:16px;stroke-width:2}
.topbar .end{margin-left:auto;display:flex;align-items:center;gap:14px}
.who{color:var(--muted);font-size:13px;text-align:right;line-height:1.25}.who b{display:block;color:var(--text);font-weight:550}
.live{display:inline-flex;align-items:center;gap:7px;font-size:12.5px;font-weight:550;padding:3px 10px;border-radius:999px;background:var(--n-bg);color:var(--n-fg)}
.live i{width:8px;height:8px;border-radius:50%;background:currentColor}
.live[data-state=live]{background:var(--ok-bg);color:var(--ok-fg)}.live[data-state=live] i{animation:pulse 2s infinite}
.live[data-state=reconnecting],.live[data-state=connecting]{background:var(--we-bg);color:var(--we-fg)}.live[data-state=reconnecting] i{border-radius:2px}
@keyframes pulse{0%{box-shadow:0 0 0 0 currentColor}70%{box-shadow:0 0 0 5px transparent}100%{box-shadow:0 0 0 0 transparent}}
.btn{display:inline-flex;align-items:center;gap:6px;border:1px solid var(--line);background:var(--surface);border-radius:8px;padding:6px 12px;cursor:pointer;font-weight:550;font-size:13px;text-decoration:none;color:var(--text);box-shadow:var(--shadow)}
.btn:hover{background:var(--hover)}.btn.primary{background:var(--accent);border-color:var(--accent);color:#fff}.btn.link{border:0;box-shadow:none;background:none;color:var(--accent);padding:6px 4px}
main{max-width:1320px;margin:0 auto;padding:28px 28px 64px}
.head h1{margin:0;font-size:22px;letter-spacing:-.015em;font-weight:680}.head p{margin:4px 0 20px;color:var(--muted)}
.notice{display:flex;align-items:flex-start;gap:10px;padding:12px 14px;border-radius:10px;margin-bottom:16px;background:var(--we-bg);color:var(--we-fg);border:1px solid color-mix(in srgb,currentColor 22%,transparent)}
.notice.info{background:var(--accent-bg);color:var(--accent)}.notice p{margin:0;flex:1;color:var(--text)}.notice button{border:0;background:none;cursor:pointer;color:inherit;padding:2px}
.card{background:var(--surface);border:1px solid var(--line);border-radius:12px;box-shadow:var(--shadow)}
.toolbar{display:flex;flex-wrap:wrap;align-items:center;gap:10px 14px;padding:12px 16px;border-bottom:1px solid var(--line)}
.toolbar label{display:inline-flex;align-items:center;gap:8px;line-height:1;color:var(--muted);font-size:13px;font-weight:550}
.toolbar select{border:1px solid var(--line);border-radius:8px;padding:5px 28px 5px 10px;background:var(--surface);min-width:150px}
.toolbar .tz{margin-left:auto;color:var(--faint);font-size:12.5px}
.wrap{overflow-x:auto}
table{width:100%;min-width:1120px;table-layout:fixed;border-collapse:collapse;font-variant-numeric:tabular-nums}
.c-action{width:17%}.c-ref{width:11%}.c-status{width:17%}.c-progress{width:20%}.c-time{width:11%}.c-report{width:13%}
th{text-align:left;font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;padding:10px 12px;background:var(--hover);border-bottom:1px solid var(--line);white-space:nowrap;position:sticky;top:0;z-index:1}
td{padding:12px 12px;border-bottom:1px solid var(--line2);vertical-align:top}
tbody tr{transition:background .6s}tbody tr:hover{background:var(--hover)}
tr.target,tr.target:hover{background:var(--target);box-shadow:inset 3px 0 0 var(--we-fg)}
tr.flash{background:var(--accent-bg)}
td:first-child,th:first-child{padding-left:16px}tbody.task tr td:first-child{box-shadow:inset 3px 0 0 color-mix(in srgb,var(--accent) 45%,transparent)}tbody.task tr:not(:last-child) td{border-bottom-style:dashed}
.type{font-weight:600;display:flex;flex-wrap:wrap;align-items:center;gap:2px 8px}.sub{color:var(--muted);font-size:12.5px;margin-top:2px;display:flex;align-items:center;gap:5px}
.sub span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.step{font-size:11.5px;font-weight:600;color:var(--accent);background:var(--accent-bg);border-radius:6px;padding:0 6px;white-space:nowrap}
.ref{display:inline-flex;align-items:center;gap:6px;border:1px solid transparent;background:none;border-radius:6px;padding:2px 6px;margin:-2px -6px;cursor:pointer;font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--text);position:relative;white-space:nowrap}
.ref .icon{width:14px;height:14px;color:var(--faint);opacity:.45;transition:opacity .15s}.ref:hover,.ref:focus-visible{border-color:var(--line);background:var(--surface)}.ref:hover .icon,.ref:focus-visible .icon,.ref.copied .icon{opacity:1}
.ref.copied .icon{color:var(--ok-fg)}.ref .tip{position:absolute;left:50%;bottom:calc(100% + 6px);transform:translateX(-50%);background:var(--text);color:var(--surface);font:600 11.5px/1 system-ui,sans-serif;padding:5px 7px;border-radius:6px;pointer-events:none}
.badge{display:inline-flex;align-items:center;gap:6px;padding:2px 10px 2px 7px;border-radius:999px;font-size:12.5px;font-weight:600;white-space:nowrap;background:var(--n-bg);color:var(--n-fg)}
.badge .icon{width:14px;height:14px;stroke-width:1.8}
.s-scheduled{background:var(--sc-bg);color:var(--sc-fg)}.s-in_progress{background:var(--ip-bg);color:var(--ip-fg)}.s-completed{background:var(--ok-bg);color:var(--ok-fg)}
.s-completed_with_errors{background:var(--we-bg);color:var(--we-fg)}.s-failed{background:var(--er-bg);color:var(--er-fg)}.s-timeout{background:var(--to-bg);color:var(--to-fg)}
.s-not_started .icon{stroke-dasharray:2.6 2.2}.s-cancelled{background:transparent;box-shadow:inset 0 0 0 1px var(--line)}
.s-in_progress .icon{animation:spin 1.1s linear infinite}@keyframes spin{to{transform:rotate(360deg)}}
.progress{overflow-wrap:anywhere}
.bar{height:6px;border-radius:999px;background:var(--bar);overflow:hidden;display:flex;margin:7px 0 6px}
.bar span{display:block;height:100%;transition:width .4s ease}.bar .ok{background:var(--ok-fg)}.bar .err{background:var(--er-fg)}.bar .run{background:var(--ip-fg)}
.counts{display:flex;flex-wrap:wrap;gap:2px 10px;font-size:12.5px;color:var(--muted)}.counts .e{color:var(--er-fg)}.counts .w{color:var(--we-fg)}.counts .pct{margin-left:auto;color:var(--text);font-weight:600}
.reason{font-size:12.5px;color:var(--er-fg);overflow-wrap:anywhere}.muted{color:var(--faint)}.small{font-size:12.5px}
time{white-space:nowrap}
.report{display:inline-flex;align-items:center;gap:6px;font-weight:550;text-decoration:none;white-space:nowrap}.report span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.report:hover span{text-decoration:underline}
.expired{display:inline-flex;align-items:center;gap:6px;color:var(--faint)}
.foot{display:flex;align-items:center;justify-content:space-between;gap:12px;padding:12px 16px;color:var(--muted);font-size:13px}
.empty{text-align:center;padding:56px 24px;color:var(--muted)}.empty h2{font-size:16px;color:var(--text);margin:12px 0 4px}.empty p{margin:0 0 16px}
.empty .art{width:44px;height:44px;margin:0 auto;border-radius:12px;display:grid;place-items:center;background:var(--accent-bg);color:var(--accent)}.empty .art .icon{width:22px;height:22px}
code.cmd{background:var(--n-bg);padding:1px 6px;border-radius:5px;font-size:12.5px}
@media (max-width:760px){.topbar{padding:0 16px}main{padding:20px 12px 48px}.who{display:none}
.toolbar label{flex:1 1 100%}.toolbar select{flex:1;min-width:0}.toolbar .tz{margin-left:0}
thead,colgroup{display:none}table,tbody,td{display:block;min-width:0}tr{display:grid;grid-template-columns:1fr 1fr;gap:10px 12px;padding:14px 16px;border-bottom:1px solid var(--line2)}
td{padding:0;border:0!important}td:nth-child(1),td:nth-child(4),td:nth-child(7){grid-column:1/-1}td:nth-child(3){justify-self:end}.progress{width:auto}
td[data-label]::before{content:attr(data-label);display:block;font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:var(--faint);margin-bottom:2px}
tbody.task tr{box-shadow:inset 3px 0 0 color-mix(in srgb,var(--accent) 45%,transparent)}tbody.task tr td:first-child{box-shadow:none}}
@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}
`;
