/** Import a unit's case list (CSV or XLSX): the gateway's per-row error report, or a dry run. */
import { Alert, App, Checkbox, Input, Modal, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { casesApi, type ImportReport } from '../../api/cases.js';
import { hasKey, useI18n } from '../../i18n/index.js';

export function ImportModal({ onClose }: { onClose(imported: boolean): void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [file, setFile] = useState<File | null>(null);
  const [unit, setUnit] = useState('');
  const [dryRun, setDryRun] = useState(false);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ImportReport | null>(null);
  const run = async () => {
    if (!file) return;
    setBusy(true);
    try {
      setReport(await casesApi.importFile(file, { unit: unit.trim() || undefined, dryRun }));
    } catch (e) {
      message.error(t('common.error', { msg: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('cases.import')}
      onCancel={() => onClose(Boolean(report && !report.dryRun && report.imported.length > 0))}
      onOk={run}
      okText={t('common.submit')}
      cancelText={t('common.close')}
      okButtonProps={{ loading: busy, disabled: !file, id: 'import-submit' }}
      width={760}
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Paragraph type="secondary">{t('cases.import.hint')}</Typography.Paragraph>
        <input
          type="file"
          accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          data-testid="import-file"
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setReport(null);
          }}
        />
        <Input placeholder={t('cases.import.unit')} value={unit} onChange={(e) => setUnit(e.target.value)} />
        <Checkbox checked={dryRun} onChange={(e) => setDryRun(e.target.checked)}>
          {t('cases.import.dryRun')}
        </Checkbox>
        {report && (
          <>
            <Alert
              type={report.errors.length ? 'warning' : 'success'}
              showIcon
              data-testid="import-result"
              title={t(report.dryRun ? 'cases.import.resultDry' : 'cases.import.result', {
                rows: report.rows,
                ok: report.imported.length,
                bad: report.errors.length,
              })}
            />
            {report.errors.length > 0 && (
              <Table
                size="small"
                rowKey={(e) => `${e.row}-${e.column}`}
                dataSource={report.errors}
                pagination={{ pageSize: 10, hideOnSinglePage: true }}
                columns={[
                  { title: t('cases.import.row'), dataIndex: 'row', width: 70 },
                  { title: t('cases.import.column'), dataIndex: 'column', width: 120 },
                  {
                    title: t('cases.import.reason'),
                    key: 'reason',
                    render: (_, e) => {
                      const key = `importErr.${e.code}`;
                      return hasKey(key) ? t(key, { value: e.value ?? '' }) : e.reason;
                    },
                  },
                ]}
              />
            )}
          </>
        )}
      </Space>
    </Modal>
  );
}
