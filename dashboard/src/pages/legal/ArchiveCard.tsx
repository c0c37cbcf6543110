/**
 * The central archive on the audit page (supervisors): where originals go, how many items wait and
 * for how long (the backlog alert fires past the configured threshold), the last error, and
 * whether busy hours hold uploads back.
 */
import { Alert, Card, Descriptions, Tag, Typography } from 'antd';
import { api } from '../../api/client.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { fmtDuration, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';

export function ArchiveCard() {
  const { t } = useI18n();
  const q = useApi(() => api.archive(), [], { refetchOn: ['clip.stored'], debounceMs: 3000 });
  const s = q.data;
  return (
    <Card title={t('archive.title')} style={{ marginBottom: 16 }} data-testid="archive-card">
      <ApiErrorView error={q.error} api="GET /api/archive" />
      {s && !s.enabled && <Typography.Text type="secondary">{t('archive.disabled')}</Typography.Text>}
      {s?.enabled && (
        <Descriptions size="small" column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={t('archive.where')}>
            <Typography.Text code>{`${s.endpoint ?? ''}/${s.bucket ?? ''}`}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('archive.depth')}>
            <span data-testid="archive-depth">{t('archive.depthN', { n: s.depth })}</span>
            {s.busyNow && <Tag style={{ marginLeft: 8 }}>{t('archive.busy')}</Tag>}
          </Descriptions.Item>
          <Descriptions.Item label={t('archive.oldest')}>
            <span data-testid="archive-oldest">{s.depth > 0 ? fmtDuration(s.oldestAgeMs, t) : '—'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('archive.lastOk')}>{fmtTime(s.lastReplicatedAt)}</Descriptions.Item>
        </Descriptions>
      )}
      {s?.lastError && (
        <Alert type="warning" showIcon message={t('archive.lastError')} description={s.lastError} />
      )}
    </Card>
  );
}
