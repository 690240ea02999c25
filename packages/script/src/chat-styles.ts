// The <ruminate-chat> element's stylesheet (plain CSS in its shadow root; override with ::part).
export const CHAT_CSS = `
:host { display: block; font: 15px/1.45 system-ui, sans-serif; color: #1b1b1b; background: #fff;
  border: 1px solid #c8c8c8; border-radius: 6px; padding: .75rem; max-width: 100%; box-sizing: border-box; }
* { box-sizing: border-box; }
.status { margin: 0 0 .5rem; color: #3a3a3a; }
.load { display: flex; gap: .5rem; align-items: center; margin-bottom: .5rem; }
.load[hidden] { display: none; }
.load progress { flex: 1; height: .9rem; }
.error { color: #8a1111; background: #fdecec; border: 1px solid #e3a3a3; padding: .5rem; border-radius: 4px; }
.error:empty { display: none; }
ol.log { list-style: none; margin: 0 0 .75rem; padding: 0; display: grid; gap: .5rem; }
li.user { justify-self: end; background: #e8f0fe; padding: .4rem .6rem; border-radius: 6px; max-width: 90%; white-space: pre-wrap; }
li.assistant { background: #f4f4f4; padding: .4rem .6rem; border-radius: 6px; }
.answer { white-space: pre-wrap; margin: 0 0 .25rem; }
.candidates { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .4rem; margin: .4rem 0; }
.candidate { border: 1px solid #d0d0d0; border-radius: 4px; padding: .25rem .4rem; background: #fff; min-width: 0; }
.candidate h4 { margin: 0; font-size: .8rem; color: #444; }
.candidate pre { margin: 0; white-space: pre-wrap; word-break: break-word; font: .8rem/1.3 ui-monospace, monospace; max-height: 8rem; overflow: auto; }
.candidate[data-fate="winner"] { border: 2px solid #176b2c; }
.candidate[data-fate="pruned"], .candidate[data-fate="stopped early"] { opacity: .6; }
details.trace summary { cursor: pointer; font-size: .85rem; color: #333; }
table { border-collapse: collapse; font-size: .8rem; margin-top: .3rem; width: 100%; }
caption { text-align: left; color: #555; }
th, td { border-bottom: 1px solid #ddd; padding: .15rem .4rem; text-align: left; }
tr[data-fate="winner"] { background: #e3f4e6; font-weight: 600; }
form { display: flex; gap: .4rem; flex-wrap: wrap; align-items: flex-end; }
form label { flex-basis: 100%; font-size: .85rem; }
textarea { flex: 1 1 12rem; min-height: 2.6rem; font: inherit; padding: .35rem; }
button { font: inherit; padding: .4rem .8rem; cursor: pointer; }
button:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #1a5fd0; outline-offset: 1px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;
