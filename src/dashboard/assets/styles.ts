/** The dashboard's stylesheet, served from /dashboard/assets/ (the CSP allows no inline styles). */
export const DASHBOARD_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --surface: #fff; --text: #1c2330; --muted: #5b6576; --border: #dde1e8;
  --primary: #3b4fd8; --primary-text: #fff; --primary-soft: #eef0fd; --focus: #2f6fed;
  --ok: #146c2e; --ok-bg: #dcf5e3; --bad: #b42318; --bad-bg: #fde4e1; --warn: #8a4b00; --warn-bg: #fdf0d5;
  --idle: #475467; --idle-bg: #eceff3; --bar-ok: #3aa15a; --bar-bad: #d94a3d;
  --radius: 10px; --shadow: 0 1px 2px rgb(16 24 40 / 6%), 0 1px 3px rgb(16 24 40 / 8%);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1318; --surface: #181d25; --text: #e6e9ef; --muted: #9aa4b5; --border: #2c3440;
    --primary: #7c8cff; --primary-text: #0f1318; --primary-soft: #222a45; --focus: #8fb0ff;
    --ok: #7ee29a; --ok-bg: #173524; --bad: #ff9b90; --bad-bg: #431d1a; --warn: #ffc971; --warn-bg: #3e2f12;
    --idle: #c2c9d4; --idle-bg: #2a313c; --shadow: none;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--primary); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0; }
h2 { font-size: 1.1rem; margin: 0 0 12px; }
p { margin: 0 0 12px; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip { position: absolute; left: 8px; top: -40px; background: var(--surface); padding: 8px 12px; border-radius: 6px; z-index: 10; }
.skip:focus { top: 8px; }
.wrap { max-width: 1120px; margin: 0 auto; padding: 0 20px; }
.topbar { background: var(--surface); border-bottom: 1px solid var(--border); }
.topbar .wrap { display: flex; align-items: center; gap: 8px 24px; flex-wrap: wrap; min-height: 60px; padding-top: 8px; padding-bottom: 8px; }
.brand { font-weight: 700; color: var(--text); text-decoration: none; display: flex; align-items: center; gap: 8px; }
.brand svg { color: var(--primary); }
.brand span { color: var(--muted); font-weight: 500; }
.topbar nav { display: flex; gap: 4px; flex: 1; }
.topbar nav a { color: var(--muted); text-decoration: none; padding: 6px 12px; border-radius: 8px; font-weight: 500; }
.topbar nav a:hover { color: var(--text); background: var(--bg); }
.topbar nav a[aria-current="page"] { color: var(--primary); background: var(--primary-soft); }
.tenant { color: var(--muted); margin-left: auto; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 260px; }
.sign-out { margin: 0; }
main.wrap { padding-top: 28px; padding-bottom: 48px; }
.page-head { display: flex; align-items: center; justify-content: space-between; gap: 12px 16px; flex-wrap: wrap; margin-bottom: 20px; }
.page-head .title { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; min-width: 0; }
.page-head h1 { overflow-wrap: anywhere; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.actions form { margin: 0; }
.crumbs { margin: 0 0 8px; color: var(--muted); font-size: 0.9rem; }
.crumbs a { color: var(--muted); }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); padding: 20px; margin-bottom: 20px; }
.card > h1 { margin-bottom: 12px; }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
.card-head h2 { margin: 0; }
.table-card > .card-head { padding: 16px 20px 0; }
.table-card > .card-head p { margin: 0; }
.muted { color: var(--muted); }
.small { font-size: 0.875rem; }
.button { display: inline-flex; align-items: center; justify-content: center; gap: 6px; min-height: 38px; padding: 7px 14px; border-radius: 8px;
  border: 1px solid var(--border); background: var(--surface); color: var(--text); font: inherit; font-weight: 600; text-decoration: none; cursor: pointer; white-space: nowrap; }
.button:hover { background: var(--bg); }
.button.primary { background: var(--primary); border-color: var(--primary); color: var(--primary-text); }
.button.primary:hover { filter: brightness(1.08); }
.button.danger { color: var(--bad); border-color: color-mix(in srgb, var(--bad) 40%, var(--border)); }
.button.danger:hover { background: var(--bad-bg); }
.button.danger.solid { background: var(--bad); color: #fff; border-color: var(--bad); }
.button.small { min-height: 30px; padding: 3px 10px; font-size: 0.875rem; }
.icon-button { display: inline-flex; align-items: center; justify-content: center; width: 34px; height: 34px; border-radius: 8px; border: 1px solid transparent;
  background: none; color: var(--muted); cursor: pointer; text-decoration: none; padding: 0; }
.icon-button:hover { background: var(--bg); border-color: var(--border); color: var(--text); }
.icon-button.danger:hover { color: var(--bad); background: var(--bad-bg); }
.icon-button.copied { color: var(--ok); }
svg.icon { width: 18px; height: 18px; flex: none; }
.notice { border-radius: 8px; padding: 12px 16px; margin-bottom: 20px; border: 1px solid; }
.notice.success { background: var(--ok-bg); color: var(--ok); border-color: color-mix(in srgb, var(--ok) 30%, transparent); }
.notice.error { background: var(--bad-bg); color: var(--bad); border-color: color-mix(in srgb, var(--bad) 30%, transparent); }
.notice ul { margin: 6px 0 0; padding-left: 20px; }
.notice a { color: inherit; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 0.8rem; font-weight: 600; white-space: nowrap; background: var(--idle-bg); color: var(--idle); }
.badge.succeeded, .badge.enabled, .badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.failed, .badge.disabled, .badge.permanent, .badge.failing { background: var(--bad-bg); color: var(--bad); }
.badge.retrying, .badge.retryable { background: var(--warn-bg); color: var(--warn); }
.chips { display: flex; flex-wrap: wrap; gap: 4px; }
.chip { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.8rem; background: var(--bg); border: 1px solid var(--border); border-radius: 6px; padding: 0 6px; }
.id { display: inline-flex; align-items: center; gap: 2px; }
.id code { color: var(--muted); }
.id .icon-button { width: 28px; height: 28px; }
table.list { width: 100%; border-collapse: collapse; }
.card.table-card { padding: 0; overflow: hidden; }
table.list th, table.list td { text-align: left; padding: 10px 14px; border-bottom: 1px solid var(--border); vertical-align: middle; }
table.list thead th { white-space: nowrap; font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); background: var(--bg); font-weight: 600; }
table.list tbody tr:last-child td { border-bottom: 0; }
table.list tbody tr:hover { background: color-mix(in srgb, var(--bg) 60%, transparent); }
td.url { min-width: 180px; max-width: 300px; overflow-wrap: anywhere; }
.rate { white-space: nowrap; }
table.list .num { text-align: right; font-variant-numeric: tabular-nums; }
/* Cells may wrap anywhere (long event names, URLs, errors) so the table fits its card; the actions column never shrinks. */
table.list td { overflow-wrap: anywhere; }
table.list td.row-actions { width: 1%; white-space: nowrap; }
.row-buttons { display: flex; gap: 6px; justify-content: flex-end; align-items: center; }
.row-buttons form { margin: 0; }
table.list time, table.list .chip, td.source code { white-space: nowrap; }
.endpoint-name { font-weight: 600; display: block; width: fit-content; }
pre.excerpt { margin: 0; max-height: 120px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg); border-radius: 6px; padding: 6px 8px; font-size: 0.8rem; }
pre.payload { margin: 0; max-height: 480px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg); border-radius: 8px; padding: 12px 14px; font-size: 0.85rem; }
details.request-headers > summary { cursor: pointer; white-space: nowrap; }
dl.headers { display: grid; grid-template-columns: minmax(0, max-content) minmax(0, 1fr); gap: 2px 12px; margin: 6px 0 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.8rem; }
dl.headers dt { color: var(--muted); overflow-wrap: anywhere; }
dl.headers dd { margin: 0; overflow-wrap: anywhere; }
dl.headers dd.signature { color: var(--muted); font-style: italic; }
dl.details { display: grid; grid-template-columns: minmax(120px, 200px) 1fr; gap: 10px 20px; margin: 0; }
dl.details dt { color: var(--muted); font-weight: 500; }
dl.details dd { margin: 0; overflow-wrap: anywhere; }
.secret-row { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
.secret-value { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bg); border: 1px solid var(--border); border-radius: 8px; padding: 6px 10px; overflow-wrap: anywhere; min-width: 0; }
.rotate { display: flex; align-items: flex-end; gap: 10px; flex-wrap: wrap; margin-top: 16px; padding-top: 16px; border-top: 1px solid var(--border); }
.rotate .field { margin: 0; }
form.stack, .form-width { max-width: 640px; }
.field { margin-bottom: 18px; }
.field label, .field .label { display: block; font-weight: 600; margin-bottom: 4px; }
.field .hint { color: var(--muted); font-size: 0.875rem; margin: 0 0 6px; }
.field .error { color: var(--bad); font-size: 0.9rem; margin: 6px 0 0; }
.field .error p { margin: 0; }
input[type="text"], input[type="url"], input[type="password"], input[type="number"], select, textarea {
  width: 100%; font: inherit; color: var(--text); background: var(--surface); border: 1px solid var(--border); border-radius: 8px; padding: 8px 10px; min-height: 40px; }
textarea { min-height: 80px; resize: vertical; }
input[aria-invalid="true"], textarea[aria-invalid="true"], select[aria-invalid="true"] { border-color: var(--bad); }
.checkbox { display: flex; align-items: center; gap: 8px; font-weight: 600; }
.checkbox input { width: 18px; height: 18px; margin: 0; }
details.advanced { border: 1px solid var(--border); border-radius: var(--radius); padding: 0 16px; margin-bottom: 20px; }
details.advanced > summary { cursor: pointer; padding: 12px 0; font-weight: 600; }
details.advanced[open] > summary { margin-bottom: 8px; }
.grid-2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 16px; }
.event-choices { border: 0; padding: 0; margin: 0 0 16px; }
.event-choices > legend { font-weight: 600; padding: 0; margin-bottom: 4px; }
.event-group { border: 1px solid var(--border); border-radius: 8px; padding: 8px 12px 10px; margin: 0 0 10px; }
.event-group > legend { font-weight: 600; padding: 0 4px; }
.event-choice { display: flex; align-items: flex-start; gap: 8px; padding: 4px 0; }
.event-choice input { width: 18px; height: 18px; margin: 2px 0 0; flex: none; }
.event-description { display: block; }
.badge.enforced { background: var(--ok-bg); color: var(--ok); }
.badge.deprecated { background: var(--warn-bg); color: var(--warn); }
.event-type h3 { margin: 0; font-size: 1.05rem; }
.event-type h4 { margin: 8px 0 6px; font-size: 0.9rem; color: var(--muted); }
.form-actions { display: flex; gap: 10px; flex-wrap: wrap; }
.filters { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 0; }
.filters .field { margin: 0; display: flex; align-items: center; gap: 8px; }
.filters .field label { margin: 0; }
.filters select { width: auto; min-width: 150px; }
.pager { display: flex; justify-content: flex-end; padding: 12px 14px; border-top: 1px solid var(--border); }
.empty { text-align: center; padding: 36px 20px; color: var(--muted); }
.empty p { margin-bottom: 16px; }
.auth { max-width: 420px; margin: 40px auto; }
.auth h1 { margin-bottom: 8px; }
.chart svg { display: block; width: 100%; height: 120px; }
.chart .bar-ok { fill: var(--bar-ok); }
.chart .bar-bad { fill: var(--bar-bad); }
.chart .baseline { stroke: var(--border); stroke-width: 1; }
.chart .axis { display: flex; justify-content: space-between; color: var(--muted); font-size: 0.8rem; margin-top: 4px; }
.chart figure { margin: 0; }
.chart figcaption { display: flex; justify-content: space-between; gap: 8px 16px; flex-wrap: wrap; margin-bottom: 10px; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; color: var(--muted); font-size: 0.875rem; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: baseline; }
.swatch.ok { background: var(--bar-ok); } .swatch.bad { background: var(--bar-bad); }
.chart details { margin-top: 8px; font-size: 0.875rem; }
.chart details table { margin-top: 8px; }
.stats { display: grid; grid-template-columns: minmax(0, 1fr) minmax(12rem, 18rem); gap: 16px 28px; align-items: start; }
figure.chart { margin: 0; min-width: 0; }
.stats-words { margin: 0; }
.stats-words dt { color: var(--muted); font-size: 0.875rem; }
.stats-words dd { margin: 0 0 10px; }
@media (max-width: 720px) {
  .wrap { padding: 0 14px; }
  .stats { grid-template-columns: 1fr; }
  main.wrap { padding-top: 18px; }
  h1 { font-size: 1.35rem; }
  .card { padding: 16px; }
  .table-card > .card-head { padding: 14px 14px 0; }
  .brand { order: 1; }
  .sign-out { order: 2; margin-left: auto; }
  .topbar .wrap { gap: 4px 12px; }
  .topbar nav { order: 3; }
  .topbar nav a { padding: 6px 10px; }
  .tenant { order: 4; max-width: 45%; font-size: 0.875rem; }
  dl.details { grid-template-columns: 1fr; gap: 2px; }
  dl.details dd { margin-bottom: 10px; }
  .grid-2 { grid-template-columns: 1fr; }
  table.list.stacked thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.list.stacked, table.list.stacked tbody, table.list.stacked tr, table.list.stacked td { display: block; width: 100%; }
  table.list.stacked tr { border-bottom: 1px solid var(--border); padding: 10px 0; }
  table.list.stacked tbody tr:last-child { border-bottom: 0; }
  table.list.stacked td { border: 0; padding: 3px 14px; display: grid; grid-template-columns: 8.5em 1fr; gap: 8px; align-items: center; text-align: left; max-width: none; }
  table.list.stacked td > * { justify-self: start; }
  table.list.stacked td::before { content: attr(data-label); color: var(--muted); font-size: 0.8rem; font-weight: 600; text-transform: uppercase; letter-spacing: 0.03em; }
  table.list.stacked td.row-actions { display: block; padding-top: 6px; }
  table.list.stacked td.row-actions::before { content: none; }
  .row-buttons { justify-content: flex-start; }
}
`;

/** The dashboard's favicon: the logo's pulse line. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" rx="6" fill="#3b4fd8"/><path d="M4 12h4l2-5 4 10 2-5h4" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
