// The operator's brand (GET /api/brand, from the PORTAL_* settings): the
// product's name, logo, colours, support contacts, imprint and privacy
// links. Loaded once before the first render, so a change of the settings
// shows without a new build of the page.

/**
 * @typedef {{ primary: string, primary_hover: string, primary_dark: string, primary_dark_hover: string }} Colors
 * @typedef {{
 *   name: string,
 *   logo_url: string | null,
 *   colors: Colors | null,
 *   contact: { email: string | null, phone: string | null },
 *   imprint_url: string | null,
 *   privacy_url: string | null,
 * }} Brand
 */

/** @type {Brand} */
let current = {
  // Only while /api/brand cannot be reached (then little else works either):
  // the server's own default name.
  name: 'Customer Portal',
  logo_url: null,
  colors: null,
  contact: { email: null, phone: null },
  imprint_url: null,
  privacy_url: null,
};

/** Ask the server for the brand and apply its colours and favicon. */
export async function loadBrand() {
  try {
    const res = await fetch('/api/brand');
    if (res.ok) current = { ...current, .../** @type {Brand} */ (await res.json()) };
  } catch {
    // Offline or the API down: the neutral brand; the page reports the rest.
  }
  if (current.colors) applyColors(current.colors);
  setFavicon(current.colors ? current.colors.primary : null);
}

/** @returns {Brand} */
export function brand() {
  return current;
}

/**
 * The configured colour replaces style.css's accent in both schemes. The
 * server checked each shade's contrast (functions/src/brand.rs).
 * @param {Colors} c
 */
function applyColors(c) {
  const vars = /** @param {string} main @param {string} hover */ (main, hover) =>
    `--accent: ${main}; --accent-hover: ${hover}; --focus: ${main}; --info-border: ${main};`;
  const style = document.createElement('style');
  style.id = 'brand-colors';
  style.textContent =
    `:root { ${vars(c.primary, c.primary_hover)} }\n` +
    `@media (prefers-color-scheme: dark) { :root { ${vars(c.primary_dark, c.primary_dark_hover)} } }`;
  document.head.append(style);
}

/**
 * The favicon (web/favicon.svg) in the brand's colour: the same shape with
 * another fill, as a data: URL.
 * @param {string | null} color
 */
function setFavicon(color) {
  if (!color || !/^#[0-9a-f]{6}$/i.test(color)) return;
  const link = /** @type {HTMLLinkElement | null} */ (document.querySelector('link[rel="icon"][type="image/svg+xml"]'));
  if (!link) return;
  link.href = `data:image/svg+xml,${encodeURIComponent(faviconSvg(color))}`;
}

/**
 * Keep in step with web/favicon.svg.
 * @param {string} color
 */
export function faviconSvg(color) {
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
    `<rect width="32" height="32" rx="7" fill="${color}"/>` +
    '<path d="M11 14v-3a5 5 0 0 1 10 0v3" fill="none" stroke="#fff" stroke-width="2.5"/>' +
    '<rect x="8" y="14" width="16" height="12" rx="2" fill="#fff"/>' +
    `<circle cx="16" cy="20" r="2" fill="${color}"/>` +
    '</svg>'
  );
}
