/*
 * test_mime.c - mail text as Japanese clients write it: ISO-2022-JP with
 * the NEC and IBM characters, RFC 2047 words split inside a character,
 * raw Shift_JIS headers, RFC 2231 filenames with continuations, HTML
 * bodies to text; a whole multipart message taken apart; a message
 * built and read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "charset.h"
#include "htmltext.h"
#include "mime.h"

/* 請求書 in JIS X 0208, ① (NEC row 13), 髙 (IBM extension, CP50221). */
#define JIS_SEIKYUSHO	"\x1B$B@A5a=q"
#define JIS_MARU1	"-!"
#define JIS_TAKA	"|b"

static void
test_iso2022jp_windows(void **state)
{
	const char *in = JIS_SEIKYUSHO JIS_MARU1 JIS_TAKA "\x1B(B abc\r\n"
	    "\x1B(I\x36\x40\x36\x45\x1B(B\n";	/* half-width ｶﾀｶﾅ */
	char err[256], *out;
	size_t n;

	(void)state;
	assert_int_equal(charset_decode("ISO-2022-JP", in, strlen(in), &out,
	    &n, err, sizeof err), 0);
	assert_string_equal(out, "請求書①髙 abc\r\nｶﾀｶﾅ\n");
	free(out);
	/* An escape sequence for a set we do not read. */
	assert_int_equal(charset_decode("iso-2022-jp", "a\x1B$(Dxx", 7, &out,
	    &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "byte offset 1"));
}

static void
test_text_decode_guess(void **state)
{
	int lossy = 0;
	char *s;

	(void)state;
	/* Undeclared: UTF-8 when valid, else CP932. */
	s = mime_text_decode(NULL, "\x87\x8A\x8E\x96", 4, NULL, &lossy);
	assert_string_equal(s, "㈱事");
	assert_int_equal(lossy, 0);
	free(s);
	/* Labelled Shift_JIS, but really UTF-8: taken as UTF-8. */
	s = mime_text_decode("Shift_JIS", "請求", strlen("請求"), NULL, &lossy);
	assert_string_equal(s, "請求");
	free(s);
	/* Broken beyond repair: U+FFFD, flagged. */
	s = mime_text_decode("utf-8", "a\xFF\xFE" "b", 4, NULL, &lossy);
	assert_int_equal(lossy, 1);
	assert_non_null(strstr(s, "\xEF\xBF\xBD"));
	free(s);
}

static void
test_header_decode(void **state)
{
	char *s;

	(void)state;
	/* ISO-2022-JP with ① in one word. */
	s = mime_header_decode("=?ISO-2022-JP?B?GyRCQEE1YT1xLSEbKEI=?=");
	assert_string_equal(s, "請求書①");
	free(s);
	/* 日本語 split inside 本 over two folded words: joined first. */
	s = mime_header_decode("=?UTF-8?B?5pel5g==?=\r\n =?utf-8?B?nKzoqp4=?=");
	assert_string_equal(s, "日本語");
	free(s);
	/* Plain words keep their blanks; blanks between words go. */
	s = mime_header_decode("Re: =?UTF-8?Q?=E8=AB=8B=E6=B1=82_no?= "
	    "=?UTF-8?B?5pu4?= (2)");
	assert_string_equal(s, "Re: 請求 no書 (2)");
	free(s);
	/* Raw Shift_JIS in a header, as old mailers send it. */
	s = mime_header_decode("\x87\x8A\x83\x54\x83\x93\x83\x76\x83\x8B");
	assert_string_equal(s, "㈱サンプル");
	free(s);
	/* Shift_JIS words with CP932-only characters; a charset*lang. */
	s = mime_header_decode("=?Shift_JIS*ja?B?h4qDVIOTg3aDi4+kjpYgh0A=?=");
	assert_string_equal(s, "㈱サンプル商事 ①");
	free(s);
	/* Not a word: left as it is. */
	s = mime_header_decode("=?bad word?= =?x?Z?abc?=");
	assert_string_equal(s, "=?bad word?= =?x?Z?abc?=");
	free(s);
}

static void
test_header_recode(void **state)
{
	char *s;

	(void)state;
	s = mime_header_recode("\"=?ISO-2022-JP?B?GyRCQEE1YT1xLSEbKEI=?=\" "
	    "<a@b.jp>, c@d.jp");
	/* 請求書① in UTF-8, base64. */
	assert_string_equal(s, "\"=?UTF-8?B?6KuL5rGC5pu44pGg?=\" <a@b.jp>, "
	    "c@d.jp");
	free(s);
}

static void
test_params(void **state)
{
	char *s;

	(void)state;
	s = mime_param("attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6"
	    "%9B%B8%2E%70%64%66", "filename");
	assert_string_equal(s, "請求書.pdf");
	free(s);
	/* Continuations, Shift_JIS, one section unencoded, out of order. */
	s = mime_param("attachment;\r\n filename*1*=%8F%91%2E;\r\n"
	    " filename*0*=shift_jis'ja'%8C%E4%90%BF%8B%81;\r\n"
	    " filename*2=pdf", "filename");
	assert_string_equal(s, "御請求書.pdf");
	free(s);
	/* RFC 2047 inside the quotes, as Outlook writes it. */
	s = mime_param("application/pdf; name=\"=?ISO-2022-JP?B?"
	    "GyRCQEE1YT1xLSEbKEI=?=.pdf\"", "name");
	assert_string_equal(s, "請求書①.pdf");
	free(s);
	/* The extended value wins over the plain one; quotes and escapes. */
	s = mime_param("attachment; filename=\"a\\\"b;c.txt\"", "filename");
	assert_string_equal(s, "a\"b;c.txt");
	free(s);
	s = mime_param("text/plain; charset=\"iso-2022-jp\"; format=flowed",
	    "charset");
	assert_string_equal(s, "iso-2022-jp");
	free(s);
	assert_null(mime_param("text/plain; charset=utf-8", "name"));
}

static void
test_html_to_text(void **state)
{
	const char *html = "<html><head><title>t</title><style>p{}</style>"
	    "</head><body><h1>請求書の送付</h1><p>いつも&nbsp;お世話に"
	    "<br>なっております。</p><script>var x;</script>"
	    "<table><tr><th>品名</th><th>金額</th></tr>"
	    "<tr><td>用紙</td><td>1,200円</td></tr></table>"
	    "<ul><li>一</li><li>二</li></ul>"
	    "<p><a href=\"https://portal.example.jp/x\">ポータル</a> "
	    "<a href=\"https://a.jp\">https://a.jp</a> &lt;&amp;&gt;"
	    "<img src=x alt=\"[印]\"></p></body></html>";
	char *s = htmltext_convert(html, strlen(html));

	(void)state;
	assert_string_equal(s, "請求書の送付\n\nいつも お世話に\n"
	    "なっております。\n\n品名\t金額\n用紙\t1,200円\n\n・一\n・二\n\n"
	    "ポータル (https://portal.example.jp/x) https://a.jp <&>[印]");
	free(s);
	s = htmltext_convert("", 0);
	assert_string_equal(s, "");
	free(s);
}

/* A message as a Japanese Outlook writes one, in every transfer encoding. */
static const char outlook_msg[] =
    "Return-Path: <eigyo@torihiki.example.co.jp>\r\n"
    "From: =?ISO-2022-JP?B?GyRCMUQ2SBsoQg==?= <eigyo@torihiki.example.co.jp>\r\n"
    "To: \"=?ISO-2022-JP?B?GyRCQEE1YT1xGyhC?=\" <seikyu@city.example.jp>,\r\n"
    "\tkakari@city.example.jp\r\n"
    "Cc: Undisclosed:;\r\n"
    "Subject: =?ISO-2022-JP?B?GyRCQEE1YT1xJE5Bd0lVGyhC?=\r\n"
    " =?ISO-2022-JP?B?GyRCLSEbKEI=?=\r\n"
    "Date: Wed, 15 May 2024 10:20:30 +0900\r\n"
    "Message-ID: <0001@torihiki.example.co.jp>\r\n"
    "In-Reply-To: <prev@city.example.jp>\r\n"
    "References: <a@x> <prev@city.example.jp>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"==b1\"\r\n"
    "\r\n"
    "--==b1\r\n"
    "Content-Type: multipart/alternative; boundary=\"==b2\"\r\n"
    "\r\n"
    "--==b2\r\n"
    "Content-Type: text/plain; charset=\"iso-2022-jp\"\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
    "\r\n"
    "\x1B$B@A5a=q\x1B(B No.123\r\n"
    "--==b2\r\n"
    "Content-Type: text/html; charset=\"utf-8\"\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<p>=E8=AB=8B=E6=B1=82=E6=9B=B8</p>\r\n"
    "--==b2--\r\n"
    "--==b1\r\n"
    "Content-Type: application/pdf; name=\"=?ISO-2022-JP?B?GyRCQEE1YT1xGyhC?=.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"=?ISO-2022-JP?B?GyRCQEE1YT1xGyhC?=.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQKJeLjz9MK\r\n"
    "--==b1\r\n"
    "Content-Type: text/plain; charset=Shift_JIS\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename*0*=shift_jis''%8C%E4%90%BF%8B%81;\r\n"
    " filename*1*=%8F%91%2E%74%78%74\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "=87=40abc\r\n"
    "--==b1\r\n"
    "Content-Type: application/octet-stream; name=\"data.bin\"\r\n"
    "Content-Transfer-Encoding: x-uuencode\r\n"
    "\r\n"
    "begin 644 data.bin\r\n"
    "#86)C\r\n"
    "`\r\n"
    "end\r\n"
    "--==b1\r\n"
    "Content-Type: image/png\r\n"
    "Content-ID: <logo@x>\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--==b1\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: a@b.jp\r\n"
    "Subject: =?UTF-8?B?5YmN5Zue?=\r\n"
    "\r\n"
    "inner\r\n"
    "--==b1--\r\n";

static void
test_parse_outlook(void **state)
{
	struct mime_message m;
	char err[256];

	(void)state;
	assert_int_equal(mime_parse(outlook_msg, sizeof outlook_msg - 1, NULL,
	    &m, err, sizeof err), 0);
	assert_string_equal(m.subject, "請求書の送付①");
	assert_int_equal(m.from.n, 1);
	assert_string_equal(m.from.v[0].name, "営業");
	assert_string_equal(m.from.v[0].addr, "eigyo@torihiki.example.co.jp");
	assert_int_equal(m.to.n, 2);
	assert_string_equal(m.to.v[0].name, "請求書");
	assert_string_equal(m.to.v[0].addr, "seikyu@city.example.jp");
	assert_string_equal(m.to.v[1].name, "");
	assert_string_equal(m.to.v[1].addr, "kakari@city.example.jp");
	assert_int_equal(m.cc.n, 0);
	assert_string_equal(m.date, "2024-05-15T10:20:30+09:00");
	assert_string_equal(m.message_id, "0001@torihiki.example.co.jp");
	assert_string_equal(m.in_reply_to, "prev@city.example.jp");
	assert_string_equal(m.references, "a@x prev@city.example.jp");
	assert_string_equal(m.text, "請求書 No.123");
	assert_string_equal(m.html, "<p>請求書</p>");
	assert_string_equal(m.charset, "iso-2022-jp");
	assert_int_equal(m.natt, 5);
	assert_string_equal(m.att[0].filename, "請求書.pdf");
	assert_string_equal(m.att[0].content_type, "application/pdf");
	assert_int_equal(m.att[0].len, 15);
	assert_memory_equal(m.att[0].data, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n", 15);
	assert_string_equal(m.att[1].filename, "御請求書.txt");
	assert_int_equal(m.att[1].len, 5);	/* the last CRLF is the boundary's */
	assert_memory_equal(m.att[1].data, "\x87\x40" "abc", 5);
	assert_string_equal(m.att[2].filename, "data.bin");
	assert_int_equal(m.att[2].len, 3);
	assert_memory_equal(m.att[2].data, "abc", 3);
	assert_string_equal(m.att[3].filename, "attachment-4.png");
	assert_int_equal(m.att[3].named, 0);
	assert_int_equal(m.att[3].is_inline, 1);
	assert_string_equal(m.att[3].content_id, "logo@x");
	assert_string_equal(m.att[4].filename, "前回.eml");
	assert_string_equal(m.att[4].content_type, "message/rfc822");
	assert_non_null(strstr(m.att[4].data, "inner"));
	assert_null(m.warnings);
	mime_message_free(&m);
}

static void
test_parse_html_only_and_broken(void **state)
{
	const char *msg = "From: x@y.jp\nSubject: \x90\xbf\x8b\x81\n"
	    "Content-Type: text/html; charset=shift_jis\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "PHA+kL+LgTwvcD48cD6CoDwvcD4=\n";
	struct mime_message m;
	char err[256];

	(void)state;
	assert_int_equal(mime_parse(msg, strlen(msg), NULL, &m, err,
	    sizeof err), 0);
	assert_string_equal(m.subject, "請求");
	assert_string_equal(m.text, "請求\n\nあ");
	assert_int_equal(m.natt, 0);
	mime_message_free(&m);
	assert_int_equal(mime_parse("", 0, NULL, &m, err, sizeof err), -1);
	mime_message_free(&m);
}

static void
test_build_round_trip(void **state)
{
	char path[] = "/tmp/kobito-test-mime-XXXXXX", msgid[256], err[256];
	const char *to[] = { "営業部 <eigyo@torihiki.example.co.jp>",
	    "b@c.example.jp", NULL };
	struct mime_file f = { path, "受付票（控え）.pdf", NULL };
	struct mime_draft d = {
		.from = "札幌市 会計課 <kaikei@city.example.jp>",
		.to = to, .subject = "【受付】請求書を受け付けました（受付番号 R-0001）",
		.text = "いつもお世話になっております。\n受付番号: R-0001\n",
		.in_reply_to = "0001@torihiki.example.co.jp",
		.files = &f, .nfiles = 1,
	};
	struct mime_message m;
	struct buf out;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "%PDF-1.4 x", 10), 10);
	close(fd);
	buf_init(&out, 0);
	assert_int_equal(mime_build(&d, &out, msgid, sizeof msgid, err,
	    sizeof err), 0);
	unlink(path);
	for (size_t i = 0; i < out.len; i++) {
		assert_true((unsigned char)out.data[i] < 0x80);
		if (out.data[i] == '\n')
			assert_int_equal(out.data[i - 1], '\r');
	}
	assert_non_null(strstr(out.data, "In-Reply-To: <0001@torihiki"));
	assert_non_null(strstr(out.data, "filename*0*=UTF-8''"));
	assert_int_equal(mime_parse(out.data, out.len, NULL, &m, err,
	    sizeof err), 0);
	assert_string_equal(m.subject, d.subject);
	assert_string_equal(m.from.v[0].name, "札幌市 会計課");
	assert_string_equal(m.to.v[0].name, "営業部");
	assert_string_equal(m.to.v[1].addr, "b@c.example.jp");
	assert_string_equal(m.text, "いつもお世話になっております。\n"
	    "受付番号: R-0001");
	assert_string_equal(m.message_id, msgid);
	assert_non_null(strstr(msgid, "@city.example.jp"));
	assert_int_equal(m.natt, 1);
	assert_string_equal(m.att[0].filename, "受付票（控え）.pdf");
	assert_string_equal(m.att[0].content_type, "application/pdf");
	assert_memory_equal(m.att[0].data, "%PDF-1.4 x", 10);
	mime_message_free(&m);
	buf_free(&out);
}

static void
test_build_errors(void **state)
{
	const char *to[] = { "not an address", NULL };
	struct mime_file f = { "/nonexistent/x.pdf", NULL, NULL };
	struct mime_draft d = { .from = "a@b.jp", .to = to, .subject = "s",
	    .text = "t" };
	struct mime_addrs a;
	struct buf out;
	char err[256], id[128];

	(void)state;
	buf_init(&out, 0);
	assert_int_equal(mime_build(&d, &out, id, sizeof id, err, sizeof err),
	    -1);
	assert_string_equal(err, "to: 'not an address' is not a mail address");
	to[0] = "x@y.jp";
	d.files = &f;
	d.nfiles = 1;
	assert_int_equal(mime_build(&d, &out, id, sizeof id, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "attachment: cannot open '/nonexistent/x.pdf'"));
	buf_free(&out);
	assert_int_equal(mime_addrs_parse("a@b.jp, bad@", &a, err, sizeof err),
	    -1);
	assert_string_equal(err, "'bad@' is not a mail address");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso2022jp_windows),
		cmocka_unit_test(test_text_decode_guess),
		cmocka_unit_test(test_header_decode),
		cmocka_unit_test(test_header_recode),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_html_to_text),
		cmocka_unit_test(test_parse_outlook),
		cmocka_unit_test(test_parse_html_only_and_broken),
		cmocka_unit_test(test_build_round_trip),
		cmocka_unit_test(test_build_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
