/**
 * A button's call to the gateway: busy while it runs, the success message when it resolves (if it
 * resolves to one), the error (in the reader's language) when it fails.
 */
import { App } from 'antd';
import { useCallback, useState } from 'react';
import { errorText } from './api/errorText.js';
import { useI18n } from './i18n/index.js';

export function useAction(): {
  busy: boolean;
  run(action: () => Promise<string | undefined>): Promise<void>;
} {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async (action: () => Promise<string | undefined>) => {
      setBusy(true);
      try {
        const done = await action();
        if (done) message.success(done);
      } catch (e) {
        message.error(t('common.error', { msg: errorText(e, t) }));
      } finally {
        setBusy(false);
      }
    },
    [message, t],
  );
  return { busy, run };
}
