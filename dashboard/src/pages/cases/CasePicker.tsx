/**
 * A case number field that suggests registered cases (fuzzy: number, party, title) as one types;
 * an unregistered number is still accepted (hearing staff may start before the case is entered).
 */
import { AutoComplete, Input } from 'antd';
import { useEffect, useState } from 'react';
import { casesApi } from '../../api/cases.js';
import { useI18n } from '../../i18n/index.js';

export function CasePicker({
  value,
  onChange,
  testId,
  style,
}: {
  value?: string;
  onChange?: (v: string) => void;
  testId?: string;
  style?: React.CSSProperties;
}) {
  const { t, te } = useI18n();
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const q = value?.trim() ?? '';
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      casesApi.list({ q, limit: 10 }).then(
        (cs) => {
          if (live)
            setOptions(
              cs.map((c) => ({
                value: c.caseNo,
                label: `${c.caseNo} ${c.title}（${te('stage', c.stage)}）`,
              })),
            );
        },
        () => live && setOptions([]),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [q, te]);
  return (
    <AutoComplete
      value={value}
      onChange={onChange}
      options={options}
      style={style}
      popupMatchSelectWidth={360}
    >
      <Input
        placeholder={t('hearing.caseNo')}
        size="large"
        data-testid={testId}
        title={t('hearing.case.pick')}
      />
    </AutoComplete>
  );
}
