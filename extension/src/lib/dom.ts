/*
 * The only way pages put text on screen: textContent, never innerHTML, so nothing a requester
 * sends can become markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; attrs?: Record<string, string> } = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className !== undefined) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`The page has no #${id}.`);
  return node as T;
}

/** A definition-list row: <dt>label</dt><dd>value</dd>. */
export function row(list: HTMLElement, label: string, value: Node | string): void {
  const dd = el("dd");
  if (typeof value === "string") dd.textContent = value;
  else dd.append(value);
  list.append(el("dt", { text: label }), dd);
}
