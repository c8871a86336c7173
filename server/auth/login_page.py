"""The sign-in page the app opens in the browser: large, simple, Japanese and English."""

from html import escape

_STYLE = """
body{font-family:'Noto Sans JP',system-ui,sans-serif;margin:0;background:#f4f7f6;color:#1b1b1b}
main{max-width:30rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:1rem}
h1{font-size:1.8rem;margin:0 0 1rem}
label{display:block;font-size:1.3rem;margin:1.2rem 0 .4rem}
input{width:100%;box-sizing:border-box;font-size:1.4rem;padding:.8rem;border:2px solid #555;
border-radius:.5rem}
button{width:100%;margin-top:1.6rem;font-size:1.5rem;padding:1rem;border:0;border-radius:.6rem;
background:#00695c;color:#fff}
.error{background:#fdecea;color:#8a1c14;padding:1rem;border-radius:.5rem;font-size:1.2rem}
.en{display:block;font-size:1rem;color:#555}
"""


def render(
    *,
    params: dict[str, str],
    csrf: str,
    error: str | None = None,
    ask_totp: bool = False,
    username: str = "",
) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items()
    )
    totp = (
        '<label for="totp">確認コード（6桁）<span class="en">Verification code (6 digits)'
        " or a recovery code</span></label>"
        '<input id="totp" name="totp" autocomplete="one-time-code" inputmode="numeric">'
        if ask_totp
        else ""
    )
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>machi サインイン / Sign in</title><style>{_STYLE}</style></head>
<body><main>
<h1>machi にサインイン<span class="en">Sign in to machi</span></h1>
{problem}
<form method="post" action="/oauth/authorize">
<input type="hidden" name="csrf" value="{escape(csrf)}">{hidden}
<label for="username">ユーザー名<span class="en">User name</span></label>
<input id="username" name="username" autocomplete="username" required value="{escape(username)}">
<label for="password">パスワード<span class="en">Password</span></label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
{totp}
<button type="submit">サインイン / Sign in</button>
</form></main></body></html>"""


def render_error(message: str) -> str:
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>machi</title><style>{_STYLE}</style></head>
<body><main><h1>サインインできません<span class="en">Cannot sign in</span></h1>
<p class="error" role="alert">{escape(message)}</p></main></body></html>"""
