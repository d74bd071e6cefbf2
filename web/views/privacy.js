// Privacy notice for the reset form (linked from its consent checkbox):
// what the form's data is used for, who sees it, and when it goes.

import { h, heading, para } from '../dom.js';

export function privacyView() {
  return h(
    'section',
    { class: 'card' },
    heading(1, 'privacy.title'),
    para('privacy.intro'),
    heading(2, 'privacy.what.title'),
    para('privacy.what.text'),
    heading(2, 'privacy.why.title'),
    para('privacy.why.text'),
    heading(2, 'privacy.who.title'),
    para('privacy.who.text'),
    heading(2, 'privacy.keep.title'),
    para('privacy.keep.text'),
    heading(2, 'privacy.check.title'),
    para('privacy.check.text'),
  );
}
