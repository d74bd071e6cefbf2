// Settings > Security > Your data: "Download my data" (the GDPR's right of
// access), after a proof of the current factor, as one JSON file.

import * as api from '../api.js';
import { announce, button, h, liveRegion, para } from '../dom.js';
import { downloadText } from '../download.js';
import { errorMessage } from '../errors.js';
import { withStepUp } from './step-up.js';

/**
 * @param {api.Account} account
 * @returns {HTMLElement}
 */
export function exportSection(account) {
  const titleId = 'export-title';
  const status = liveRegion('status');
  const errors = liveRegion('alert', 'form__alert');
  const download = async () => {
    announce(status, null);
    announce(errors, null);
    try {
      const res = await withStepUp(account, { text: 'settings.export.stepUp', submit: 'settings.export.download' }, api.exportData);
      if (!res) return;
      downloadText('my-data.json', JSON.stringify(res.done, null, 2));
      announce(status, { key: 'settings.export.done' });
    } catch (err) {
      if (err instanceof api.ApiError && err.handled) return;
      announce(errors, errorMessage(err));
    }
  };
  return h(
    'section',
    { class: 'setting', attrs: { 'aria-labelledby': titleId } },
    h('h3', { text: 'settings.export.title', attrs: { id: titleId } }),
    para('settings.export.explain'),
    status,
    errors,
    button('settings.export.download', () => void download()),
  );
}
