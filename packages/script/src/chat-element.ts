// <ruminate-chat model="…" strategy="sc@8" budget="tokens:800">: a minimal, accessible chat over
// the controller. It loads the model with a progress bar, streams each candidate's text as it is
// decoded, then shows the chosen answer and the run's trace (candidates, votes, scores, fates).
// Structured output: the response-format, grammar and regex attributes (response-format-attribute.ts).
import {
  type ChatCompletionChunk,
  createEngine,
  type RuminateClient,
  RuminateError,
  type RuminateExtras,
} from '@ruminate/controller';
import { describeBudget, parseBudget } from './budget-attribute.ts';
import { bundledWorkerEngine } from './bundled-worker.ts';
import { CHAT_CSS } from './chat-styles.ts';
import { defaultEngine, type EngineSource, webgpuProblem } from './engine-defaults.ts';
import type { ChatMessage, LoadProgress } from './engine-types.ts';
import { type ConstraintFields, constraintAttributes } from './response-format-attribute.ts';
import { el, LiveCandidates, traceTable } from './trace-view.ts';

/** The phase of a load, in words. */
export function describeProgress(p: LoadProgress): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const of = (f: (n: number) => string) => (p.total ? `${f(p.done)} of ${f(p.total)}` : f(p.done));
  switch (p.phase) {
    case 'download':
      return `Downloading the model: ${of(mb)}`;
    case 'upload':
      return `Uploading weights to the GPU: ${of(mb)}`;
    case 'compile':
      return `Compiling shaders: ${of(String)}`;
    case 'tune':
      return `Tuning kernels for this device: ${of(String)}`;
  }
}

/** What the element's `ruminate-result` event carries. */
export interface ChatResultDetail {
  /** The chosen answer's text ('' when the strategy abstained). */
  text: string;
  /** Plan, winner, trace and usage of the run. */
  ruminate: Partial<RuminateExtras>;
}

// Defined lazily so that importing this module on a server (no DOM) does not throw.
const Base: typeof HTMLElement =
  typeof HTMLElement === 'undefined' ? (class {} as unknown as typeof HTMLElement) : HTMLElement;

/** The `<ruminate-chat>` custom element; see the file comment for its attributes. */
export class RuminateChatElement extends Base {
  static readonly observedAttributes = ['model', 'strategy', 'budget'];
  /** An Engine (or factory) for this element only; default: `setDefaultEngine`'s, else the runtime in ruminate-worker-<version>.js. */
  engine: EngineSource | undefined;
  /** The loaded client, once ready. */
  client: RuminateClient | undefined;
  private readonly history: ChatMessage[] = [];
  private loadCtrl: AbortController | undefined;
  private runCtrl: AbortController | undefined;
  private ready: Promise<RuminateClient> | undefined;
  private started = false;
  private readonly ui: {
    status: HTMLElement;
    load: HTMLElement;
    loadLabel: HTMLElement;
    bar: HTMLProgressElement;
    error: HTMLElement;
    log: HTMLOListElement;
    form: HTMLFormElement;
    input: HTMLTextAreaElement;
    send: HTMLButtonElement;
    stop: HTMLButtonElement;
  };

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    // A constructed stylesheet is not inline style, so a strict style-src CSP allows it.
    if (
      'adoptedStyleSheets' in root &&
      typeof CSSStyleSheet !== 'undefined' &&
      'replaceSync' in CSSStyleSheet.prototype
    ) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CHAT_CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      const style = el('style');
      style.textContent = CHAT_CSS;
      root.append(style);
    }
    const status = el('p', 'status', 'Idle.');
    status.setAttribute('role', 'status');
    status.part.add('status');
    const load = el('div', 'load');
    load.hidden = true;
    const loadLabel = el('span', '', 'Loading');
    loadLabel.id = 'load-label';
    const bar = el('progress');
    bar.setAttribute('aria-labelledby', 'load-label');
    load.append(loadLabel, bar);
    const error = el('p', 'error');
    error.setAttribute('role', 'alert');
    const log = el('ol', 'log');
    log.setAttribute('aria-label', 'Conversation');
    log.setAttribute('aria-live', 'polite');
    const form = el('form');
    const label = el('label', '', 'Your message');
    label.htmlFor = 'message';
    const input = el('textarea');
    input.id = 'message';
    input.rows = 2;
    input.placeholder = 'Ask something, then press Enter';
    const send = el('button', '', 'Send');
    send.type = 'submit';
    const stop = el('button', '', 'Stop');
    stop.type = 'button';
    stop.disabled = true;
    form.append(label, input, send, stop);
    root.append(status, load, error, log, form);
    this.ui = { status, load, loadLabel, bar, error, log, form, input, send, stop };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.ask(input.value);
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    stop.addEventListener('click', () => this.abort());
  }

  connectedCallback(): void {
    // Wait for the document to finish parsing, so page scripts after the bundle (e.g. one calling
    // setDefaultEngine) run before the load starts.
    const start = () => {
      this.started = true;
      if (this.isConnected && this.getAttribute('model') && !this.ready) void this.load().catch(() => {});
    };
    if (document.readyState === 'loading')
      document.addEventListener('DOMContentLoaded', start, { once: true });
    else start();
  }

  disconnectedCallback(): void {
    this.abort();
    this.loadCtrl?.abort();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    // On upgrade this runs once per attribute before connectedCallback: only later changes reload.
    if (name === 'model' && old !== value && this.started && this.isConnected && value) {
      this.ready = undefined;
      void this.load().catch(() => {});
    }
  }

  /** Loads the `model` attribute's model (once; later calls return the same promise). */
  load(): Promise<RuminateClient> {
    if (this.ready) return this.ready;
    this.loadCtrl?.abort();
    const ctrl = new AbortController();
    this.loadCtrl = ctrl;
    const model = this.getAttribute('model') ?? '';
    const engine = this.engine ?? defaultEngine() ?? (() => bundledWorkerEngine());
    this.ready = (async () => {
      this.setError('');
      const problem = engine ? null : webgpuProblem();
      if (problem) throw new RuminateError('webgpu-unavailable', problem);
      if (!model) {
        throw new RuminateError('invalid-argument', 'Set the model attribute to a GGUF URL.', {
          field: 'model',
        });
      }
      this.setStatus('Loading the model…');
      this.ui.load.hidden = false;
      const client = await createEngine({
        model,
        ...(engine ? { engine } : {}),
        load: {
          signal: ctrl.signal,
          onProgress: (p) => {
            this.ui.loadLabel.textContent = describeProgress(p);
            if (p.total) this.ui.bar.value = p.done / p.total;
            else this.ui.bar.removeAttribute('value');
            this.emit('ruminate-progress', p);
          },
        },
      });
      if (this.client && this.client !== client) void this.client.unload().catch(() => {});
      this.client = client;
      this.ui.load.hidden = true;
      const info = await client.info();
      this.setStatus(
        `Ready: ${info?.name ?? 'model'} (${info?.architecture ?? '?'}, ${info?.weightType ?? '?'}).`,
      );
      this.emit('ruminate-ready', info);
      return client;
    })();
    this.ready.catch((e: unknown) => {
      this.ui.load.hidden = true;
      this.ready = undefined;
      this.fail(e);
    });
    return this.ready;
  }

  /** Sends `text` as the next user message and streams the reply; resolves with the chosen answer. */
  async ask(text: string): Promise<ChatResultDetail | undefined> {
    const content = text.trim();
    if (!content || this.runCtrl) return undefined;
    let client: RuminateClient;
    try {
      client = await this.load();
    } catch {
      return undefined;
    }
    const strategy = this.getAttribute('strategy') || 'sc@4';
    let budget: ReturnType<typeof parseBudget>;
    let constraint: ConstraintFields;
    try {
      budget = parseBudget(this.getAttribute('budget'));
      constraint = constraintAttributes(
        (name) => this.getAttribute(name),
        (id) => this.ownerDocument.getElementById(id),
      );
    } catch (e) {
      this.fail(e);
      return undefined;
    }
    const maxTokens = Number(this.getAttribute('max-tokens') ?? '') || undefined;
    this.setError('');
    this.ui.input.value = '';
    this.history.push({ role: 'user', content });
    this.ui.log.append(el('li', 'user', content));
    const item = el('li', 'assistant');
    const answer = el('p', 'answer');
    const live = new LiveCandidates();
    item.append(answer, live.root);
    this.ui.log.append(item);
    const ctrl = new AbortController();
    this.runCtrl = ctrl;
    this.ui.stop.disabled = false;
    this.ui.send.disabled = true;
    this.setStatus(`Thinking with ${strategy} (${describeBudget(budget ?? null)})…`);
    try {
      const system = this.getAttribute('system');
      const messages: ChatMessage[] = system
        ? [{ role: 'system', content: system }, ...this.history]
        : [...this.history];
      const stream = await client.chat.completions.create(
        {
          messages,
          strategy,
          stream: true,
          ...(budget ? { budget } : {}),
          ...(maxTokens ? { max_tokens: maxTokens } : {}),
          ...constraint,
        },
        { signal: ctrl.signal },
      );
      let last: ChatCompletionChunk | undefined;
      for await (const chunk of stream) {
        const r = chunk.ruminate;
        if (r?.candidate !== undefined && r.delta !== undefined)
          live.append(r.candidate, r.parent ?? null, r.delta);
        if (chunk.usage) last = chunk;
        else for (const c of chunk.choices) if (c.delta.content) answer.textContent += c.delta.content;
      }
      const extras = last?.ruminate ?? {};
      const chosen = last?.choices[0]?.delta.content;
      if (chosen !== undefined && chosen !== '') answer.textContent = chosen;
      const finalText = extras.abstained ? '' : (answer.textContent ?? '');
      if (extras.abstained) answer.textContent = 'No candidate passed the check, so there is no answer.';
      live.settle(extras);
      item.append(traceTable(extras));
      this.history.push({ role: 'assistant', content: finalText });
      this.setStatus(`Done: ${extras.trace?.length ?? live.size} candidates.`);
      const detail: ChatResultDetail = { text: finalText, ruminate: extras };
      this.emit('ruminate-result', detail);
      return detail;
    } catch (e) {
      this.history.pop();
      if (ctrl.signal.aborted) {
        answer.textContent = '(stopped)';
        this.setStatus('Stopped.');
      } else this.fail(e);
      return undefined;
    } finally {
      this.runCtrl = undefined;
      this.ui.stop.disabled = true;
      this.ui.send.disabled = false;
    }
  }

  /** Stops the reply in flight, if any. */
  abort(): void {
    this.runCtrl?.abort(new RuminateError('aborted', 'Stopped by the user.'));
  }

  private setStatus(text: string): void {
    this.ui.status.textContent = text;
  }

  private setError(text: string): void {
    this.ui.error.textContent = text;
  }

  private fail(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.setStatus('Something went wrong.');
    this.setError(message);
    this.emit('ruminate-error', e);
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

/** Registers `<ruminate-chat>` (idempotent; a no-op outside a browser). */
export function defineChatElement(tag = 'ruminate-chat'): void {
  if (typeof customElements === 'undefined' || customElements.get(tag)) return;
  customElements.define(tag, class extends RuminateChatElement {});
}
