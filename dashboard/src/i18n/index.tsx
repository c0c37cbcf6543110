/**
 * A small typed dictionary: zh-CN by default, English switchable, choice kept in localStorage.
 * `t('key', {n: 3})` replaces `{n}`; keys are checked by the compiler.
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { en } from './en.js';
import { type MessageKey, zh } from './zh.js';

export type Lang = 'zh-CN' | 'en';
export type { MessageKey };
export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

const dicts: Record<Lang, Record<MessageKey, string>> = { 'zh-CN': zh, en };
const STORAGE_KEY = 'gw.lang';

function initialLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

export function translate(lang: Lang, key: MessageKey, params?: Record<string, string | number>): string {
  const text = dicts[lang][key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** For enum values from the API (roles, causes, states...): falls back to the raw value. */
export function hasKey(key: string): key is MessageKey {
  return key in zh;
}

interface I18n {
  lang: Lang;
  setLang(lang: Lang): void;
  t: Translate;
  /** Translate `${prefix}.${value}` if known, else the value itself. */
  te(prefix: string, value: string | null | undefined): string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {}
    document.documentElement.lang = l;
  }, []);
  const value = useMemo<I18n>(() => {
    const t: Translate = (key, params) => translate(lang, key, params);
    const te = (prefix: string, v: string | null | undefined) => {
      if (v == null) return '';
      const k = `${prefix}.${v}`;
      return hasKey(k) ? t(k) : v;
    };
    return { lang, setLang, t, te };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
