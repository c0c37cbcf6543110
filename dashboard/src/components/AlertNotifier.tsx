/** Pops an antd notification for each alert raised while someone concerned is signed in. */
import { App } from 'antd';
import type { Alert, PublicUser } from '../api/types.js';
import { useI18n } from '../i18n/index.js';
import { useLive } from '../live.js';
import { fmtTime } from '../time.js';
import { alertText } from './alertText.js';

/** Device-health rules concern the equipment manager even when `notify` does not name the role. */
const MANAGER_RULES = /^(battery|storage|offline|clock|firmware|forecast|recorder|dock|disk)/;

export function concerns(alert: Alert, user: PublicUser): boolean {
  if (alert.notify.some((r) => (user.roles as readonly string[]).includes(r))) return true;
  return user.roles.includes('equipment-manager') && MANAGER_RULES.test(alert.rule);
}

export function AlertNotifier({ user }: { user: PublicUser }) {
  const { notification } = App.useApp();
  const { t, te } = useI18n();
  useLive(['alert.raised'], (_name, alert) => {
    // Info-level alerts (e.g. firmware below minimum) wait on the alerts page; popups are for action.
    if (alert.severity === 'info' || !concerns(alert, user)) return;
    const open = alert.severity === 'critical' ? notification.error : notification.warning;
    open({
      key: alert.id,
      title: `${te('rule', alert.rule)} · ${alert.subject}`,
      description: (
        <span data-testid="alert-notification" data-rule={alert.rule} data-subject={alert.subject}>
          {alertText(alert, t, te)}
          <br />
          {fmtTime(alert.at)}
        </span>
      ),
      duration: alert.severity === 'critical' ? 0 : 8,
      placement: 'topRight',
    });
  });
  return null;
}
