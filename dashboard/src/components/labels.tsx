/** Small shared renderers for enum values the API returns. */
import { Tag } from 'antd';
import type { AlertSeverity } from '../api/types.js';
import { useI18n } from '../i18n/index.js';

const SEVERITY_COLOR: Record<AlertSeverity, string> = { info: 'blue', warning: 'orange', critical: 'red' };

export function SeverityTag({ severity }: { severity: AlertSeverity }) {
  const { te } = useI18n();
  return <Tag color={SEVERITY_COLOR[severity] ?? 'default'}>{te('severity', severity)}</Tag>;
}

export function OfficerLabel({ officer }: { officer: { name: string; certNo: string } | null | undefined }) {
  if (!officer) return <>—</>;
  return (
    <span>
      {officer.name}
      <span style={{ color: '#888' }}> {officer.certNo}</span>
    </span>
  );
}
