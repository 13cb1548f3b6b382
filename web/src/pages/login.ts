import { api, ApiError } from '../api';
import { h, pageTitle } from '../dom';
import { t } from '../i18n';
import { safeNext } from '../router';
import type { PageContext } from '../page';

export async function renderLogin(ctx: PageContext): Promise<void> {
  const { root } = ctx;
  const q = ctx.route.query;
  const username = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, t('login.submit'));
  const status = h('div', { class: 'login-status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'login', 'data-testid': 'login-form', method: 'post' },
    h('label', { for: 'login-user' }, t('login.username')),
    username,
    h('label', { for: 'login-pass' }, t('login.password')),
    password,
    submit,
    status,
  );

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    status.replaceChildren(t('login.busy'));
    api
      .login(username.value, password.value)
      .then((me) => {
        ctx.loggedIn(me.user);
        location.hash = safeNext(q.next);
      })
      .catch((e: unknown) => {
        const message = e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e);
        status.replaceChildren(h('p', { class: 'error', role: 'alert', 'data-testid': 'login-error' }, t('login.failed', { message })));
        password.value = '';
        password.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });

  root.append(
    h(
      'div',
      { class: 'login-box' },
      pageTitle(t('login.title')),
      q.expired === '1' ? h('p', { class: 'notice', 'data-testid': 'login-expired', role: 'status' }, t('login.expired')) : null,
      form,
    ),
  );
  username.focus();
}
