/*
 * msg.c - the Japanese texts of the messages people meet most (see
 * msg.h).  Each pair keeps the English format's conversions in order, so
 * that the same arguments fill either.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg.h"

static const struct {
	const char	*en;
	const char	*ja;
} catalogue[] = {
	/* who may do what (api.c, api_perm.c) */
	{ "missing bearer token", "ログインしていません(トークンがありません)" },
	{ "invalid token", "トークンが正しくないか、失効しています" },
	{ "%s %s needs role %s; '%s' is %s",
	  "%s %s には %s の役割が必要です('%s' は %s です)" },
	{ "%s belongs to %s, where '%s' holds no role; %s needs %s there",
	  "%sは%sのものです。'%s' はそこで役割を持っていません(%s にはそこで"
	  "%sの役割が必要です)" },
	{ "%s belongs to %s, where '%s' is %s; %s %s needs %s there",
	  "%sは%sのものです。'%s' はそこでは%sです(%s %s にはそこで%sの"
	  "役割が必要です)" },
	{ "script '%s': %s", "スクリプト '%s': %s" },
	{ "'%s' holds no role in any department and is not a manager",
	  "'%s' はどの部署にも役割がなく、管理職でもありません" },
	/* things that are not there */
	{ "no job '%s'", "ジョブ '%s' はありません" },
	{ "no run '%s'", "実行 '%s' はありません" },
	{ "no script named '%s'", "スクリプト '%s' はありません" },
	{ "no schedule '%s'", "スケジュール '%s' はありません" },
	{ "no secret '%s'", "秘密情報 '%s' はありません" },
	{ "no asset '%s'", "設定値 '%s' はありません" },
	{ "no %s '%s'", "%s '%s' はありません" },
	{ "no route %s", "%s という操作はありません" },
	{ "no user '%s'", "ユーザー '%s' はいません" },
	{ "script '%s' has no version '%s'",
	  "スクリプト '%s' に版 '%s' はありません" },
	/* what was asked for */
	{ "%s: required", "%s: 入力してください" },
	{ "%s: expected a string of 1-%zu bytes",
	  "%s: 1〜%zuバイトの文字列を入力してください" },
	{ "%s: expected an integer from %lld to %lld",
	  "%s: %lld〜%lldの整数を入力してください" },
	{ "request body: invalid JSON at line %d column %d: %s",
	  "要求の本文: %d行%d列のJSONが正しくありません: %s" },
	{ "%s: expected a date YYYY-MM-DD or a time "
	  "YYYY-MM-DDTHH:MM[:SS][+09:00], not '%s'",
	  "%s: 日付(YYYY-MM-DD)か日時(YYYY-MM-DDTHH:MM[:SS][+09:00])を"
	  "入力してください('%s' は使えません)" },
	{ "n: expected 1-%d", "n: 1〜%dを指定してください" },
	{ "cron: required", "cron: 入力してください" },
	{ "action: expected cancel or retry, not '%s'",
	  "action: cancel か retry を指定してください('%s' は使えません)" },
	/* logins */
	{ "wrong user name or password",
	  "ユーザー名かパスワードが違います" },
	{ "no such session; log in again",
	  "セッションがありません。もう一度ログインしてください" },
	{ "the session has expired; log in again",
	  "セッションの期限が切れました。もう一度ログインしてください" },
	{ "the user is disabled", "このユーザーは無効にされています" },
	{ "username and password: required strings",
	  "ユーザー名とパスワードを入力してください" },
	{ "an admin cannot disable or demote themself; ask another admin",
	  "管理者は自分を無効にしたり降格したりできません。別の管理者に"
	  "依頼してください" },
	{ "an admin cannot demote themself; ask another admin",
	  "管理者は自分を降格できません。別の管理者に依頼してください" },
};

int
msg_japanese(const char *al)
{
	return al != NULL && strncasecmp(al, "ja", 2) == 0;
}

const char *
msg_fmt(const char *fmt, int japanese)
{
	size_t i;

	if (!japanese)
		return fmt;
	for (i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++)
		if (strcmp(catalogue[i].en, fmt) == 0)
			return catalogue[i].ja;
	return fmt;
}

void
msg_vformat(char *out, size_t len, int japanese, const char *fmt, va_list ap)
{
	const char *whole;

	/* The catalogue's formats hold the same conversions as the keys. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vsnprintf(out, len, msg_fmt(fmt, japanese), ap);
#pragma GCC diagnostic pop
	if (japanese && strcmp(fmt, "%s") == 0 &&
	    (whole = msg_fmt(out, 1)) != out && strchr(whole, '%') == NULL)
		snprintf(out, len, "%s", whole);
}

const char *
msg_word(const char *word, int japanese)
{
	static const char *const words[][2] = {
		{ "job", "ジョブ" }, { "run", "実行" }, { "script", "スクリプト" },
		{ "schedule", "スケジュール" }, { "secret", "秘密情報" },
		{ "asset", "設定値" }, { "token", "トークン" },
		{ "ledger", "KPIの記録" }, { "user", "ユーザー" },
	};
	size_t i;

	if (japanese)
		for (i = 0; i < sizeof words / sizeof words[0]; i++)
			if (strcmp(words[i][0], word) == 0)
				return words[i][1];
	return word;
}

int
msg_pair(int i, const char **en, const char **ja)
{
	if (i < 0 || (size_t)i >= sizeof catalogue / sizeof catalogue[0])
		return -1;
	*en = catalogue[i].en;
	*ja = catalogue[i].ja;
	return 0;
}
