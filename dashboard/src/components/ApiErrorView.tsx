/** What a page shows when its API call failed: a route still missing on this gateway, or an error. */
import { Alert } from 'antd';
import { ApiError } from '../api/errors.js';
import { errorText } from '../api/errorText.js';
import { useI18n } from '../i18n/index.js';

export function ApiErrorView({ error, api }: { error: Error | undefined; api: string }) {
  const { t } = useI18n();
  if (!error) return null;
  if (error instanceof ApiError && error.missing) {
    return (
      <Alert
        type="info"
        showIcon
        title={t('common.notAvailable', { api })}
        style={{ marginBottom: 12 }}
        data-testid="api-missing"
      />
    );
  }
  return (
    <Alert
      type="error"
      showIcon
      title={t('common.error', { msg: errorText(error, t) })}
      style={{ marginBottom: 12 }}
    />
  );
}
