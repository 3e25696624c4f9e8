// The dashboard's own HTTP API (EMQX emqx_dashboard_api), served on the dashboard listener only:
// login check, users, password change.
import { ApiCode, fail, ok, type ApiRequest, type PluginContext } from '@nemq/sdk';
import { UserError, type UserStore } from './users.js';

const CODES: Readonly<Record<UserError['reason'], number>> = {
  exists: ApiCode.USER_EXISTS,
  not_found: ApiCode.USER_NOT_FOUND,
  bad_name: ApiCode.PARAMETER_TYPE_ERROR,
  bad_password: ApiCode.EMPTY_USERNAME_OR_PWD,
};

function run(fn: () => void): Record<string, unknown> {
  try {
    fn();
    return ok();
  } catch (err) {
    if (err instanceof UserError) return fail(CODES[err.reason], err.message);
    throw err;
  }
}

/** the JSON body as an object (EMQX reads missing keys as undefined) */
function body(req: ApiRequest): Record<string, unknown> {
  return typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
}

export function addRoutes(ctx: PluginContext, users: UserStore, defaultUser: string): void {
  const api = (name: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, descr: string, handler: (req: ApiRequest) => unknown, auth = true): void =>
    ctx.api({ name, method, path, descr, listener: 'dashboard', ...(auth ? {} : { auth: false }) }, handler);
  /** the forced-change hint for the UI while the default user keeps the shipped password */
  const hint = (): Record<string, unknown> => (users.isDefault(defaultUser) ? { default_password: true } : {});

  api('auth_user', 'POST', '/auth', 'Authenticate an user', (req) => {
    const b = body(req);
    const q = req.query;
    // EMQX reads query parameters first, then the body
    const username = q.username ?? b.username;
    const password = q.password ?? b.password;
    if (username === undefined || username === '' || password === undefined || password === '') {
      return fail(ApiCode.EMPTY_USERNAME_OR_PWD, 'Username or password undefined');
    }
    if (!users.check(username, password)) {
      ctx.logger.warning(`dashboard login failed for ${JSON.stringify(String(username)).slice(0, 80)}`);
      return fail(ApiCode.ERROR_USERNAME_OR_PWD, 'Username/Password error');
    }
    return { code: 0, ...hint() };
  }, false);

  api('list_users', 'GET', '/users', 'List users', () => ({ ...ok(users.list()), ...hint() }));

  api('create_user', 'POST', '/users', 'Create an user', (req) => {
    const b = body(req);
    if (b.username === undefined || b.username === '' || b.password === undefined || b.password === '') {
      return fail(ApiCode.EMPTY_USERNAME_OR_PWD, 'Username or password undefined');
    }
    return run(() => users.add(b.username, b.password, b.tags));
  });

  api('update_user', 'PUT', '/users/:name', 'Update an user', (req) => run(() => users.update(req.params.name!, body(req).tags)));

  api('delete_user', 'DELETE', '/users/:name', 'Delete an user', (req) => {
    const name = req.params.name!;
    if (name === 'admin' || name === defaultUser) return fail(ApiCode.ADMIN_NOT_ALLOWED, 'Cannot delete admin');
    return run(() => users.remove(name));
  });

  api('change_pwd', 'PUT', '/change_pwd/:username', 'Change password for an user', (req) => {
    const name = req.params.username!;
    const b = body(req);
    if (!users.has(name)) return fail(ApiCode.USER_NOT_FOUND, 'Username Not Found');
    if (typeof b.new_pwd !== 'string' || b.new_pwd === '') return fail(ApiCode.EMPTY_USERNAME_OR_PWD, 'Password undefined');
    if (!users.check(name, b.old_pwd)) return fail(ApiCode.OLD_PASSWORD_ERROR, 'Username/Password error');
    return run(() => users.passwd(name, b.new_pwd));
  });
}
