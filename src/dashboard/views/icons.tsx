import type { FC } from "hono/jsx";

// Icons are decorative (aria-hidden): every control that uses one also carries a text label.
const paths = {
  logo: "M4 12h4l2-5 4 10 2-5h4",
  eye: "M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12Z M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6Z",
  eyeOff: "M3 3l18 18 M10.6 5.1A10 10 0 0 1 12 5c6.4 0 10 7 10 7a17 17 0 0 1-3.1 3.9 M6.6 6.6C3.9 8.3 2 12 2 12s3.6 7 10 7a9.7 9.7 0 0 0 5.4-1.6 M9.9 9.9a3 3 0 0 0 4.2 4.2",
  copy: "M9 9h10v12H9z M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1",
  trash: "M3 6h18 M8 6V4h8v2 M6 6l1 15h10l1-15 M10 11v6 M14 11v6",
  pencil: "M4 20h4L19 9l-4-4L4 16v4Z M13.5 6.5l4 4",
  plus: "M12 5v14 M5 12h14",
  send: "M22 2 11 13 M22 2l-7 20-4-9-9-4 20-7Z",
  replay: "M3 12a9 9 0 1 0 3-6.7L3 8 M3 3v5h5",
  refresh: "M21 12a9 9 0 1 1-3-6.7L21 8 M21 3v5h-5",
} as const;

/** A stroked 24×24 icon. */
export const Icon: FC<{ name: keyof typeof paths }> = ({ name }) => (
  <svg class="icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
    <path d={paths[name]} />
  </svg>
);
