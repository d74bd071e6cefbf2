// Entry point: language, frame, pages.

import './auth.js';
import { loadBrand } from './brand.js';
import { chooseLang, setLang } from './i18n.js';
import { startLayout } from './layout.js';
import { pendingSignIn } from './session.js';
import { addRoute, render, startRouter } from './router.js';
import { helpView } from './views/help.js';
import { confirmEmailView } from './views/email-change.js';
import { homeView } from './views/home.js';
import { loginView } from './views/login.js';
import { passwordForgotSentView, passwordForgotView } from './views/password-forgot.js';
import { privacyView } from './views/privacy.js';
import { recoveryView } from './views/recovery.js';
import { registerView } from './views/register.js';
import { resetRequestView, resetSentView } from './views/reset-request.js';
import { resetPasswordView } from './views/reset-password.js';
import { settingsView } from './views/settings.js';
import { signInView } from './views/sign-in.js';
import { setupView } from './views/setup.js';
import { supportAccountsView } from './views/support-accounts.js';
import { supportQueueView, supportRequestView } from './views/support.js';
import { verifyView } from './views/verify.js';

addRoute('/login', { title: 'login.title', access: 'guest', render: loginView });
// An app's sign-in (OpenID Connect): signed-in people too, whose session may
// be enough for the app.
addRoute('/sign-in', { title: 'login.title', access: 'anyone', render: signInView });
addRoute('/register', { title: 'register.title', access: 'guest', render: registerView });
// Anyone: a signed-in person may follow an emailed link too (the reset ends
// their sessions), and from a dead link ask for a new one.
addRoute('/password-forgot', { title: 'forgot.title', access: 'anyone', render: passwordForgotView });
addRoute('/password-forgot/sent', { title: 'forgot.sentTitle', access: 'anyone', render: passwordForgotSentView });
addRoute('/reset-password', { title: 'newPassword.title', access: 'anyone', render: resetPasswordView });
// Anyone: the link may be opened on another device, signed in or not.
addRoute('/confirm-email', { title: 'confirmEmail.title', access: 'anyone', render: confirmEmailView });
addRoute('/verify', { title: 'verify.title', access: 'mfa', render: verifyView });
addRoute('/setup', { title: 'setup.title', access: 'mfa-or-session', render: setupView });
addRoute('/recovery-codes', { title: 'recovery.title', access: 'session', render: recoveryView });
addRoute('/', { title: 'home.pageTitle', access: 'session', render: homeView });
addRoute('/settings', { title: 'settings.title', access: 'session', render: settingsView });
addRoute('/reset-request', { title: 'reset.title', access: 'mfa', render: resetRequestView });
addRoute('/reset-request/sent', { title: 'reset.sent.title', access: 'anyone', render: resetSentView });
addRoute('/help', { title: 'help.title', access: 'anyone', render: helpView });
addRoute('/privacy', { title: 'privacy.title', access: 'anyone', render: privacyView });
addRoute('/support', { title: 'support.title', access: 'session', render: supportQueueView });
addRoute('/support/request', { title: 'support.request.pageTitle', access: 'session', render: supportRequestView });
addRoute('/support/accounts', { title: 'support.accounts.title', access: 'session', render: supportAccountsView });

async function start() {
  // The brand before any text: every text may name the product ({brand}).
  await loadBrand();
  // During an app's sign-in, the language the app asked for, after a reload too.
  await setLang(pendingSignIn()?.lang || chooseLang());
  startLayout();
  startRouter();
  await render();
}

void start();
