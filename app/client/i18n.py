"""Japanese first, English second: every string the app shows, in both languages."""

LANGUAGES = ("ja", "en")
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    "ja": {
        "app_title": "machi 日立",
        "section.trips": "移動",
        "section.mobility": "乗り物",
        "section.clinic": "診療",
        "section.diary": "健康日記",
        "section.care": "ケア",
        "section.settings": "設定",
        "trips.title": "どこへ行きますか？",
        "trips.body": "出発地と目的地を入れると、JR・バス・ひたちBRT・徒歩・シェアモビリティを"
        "組み合わせた行き方を探します。",
        "mobility.title": "シェアの乗り物",
        "mobility.body": "電動キックボード・電動アシスト自転車の予約と、ご自宅からバス停までの"
        "自動運転シャトルの予約ができます。",
        "clinic.title": "オンライン診療",
        "clinic.body": "予約した診察に、ビデオ通話で参加できます。"
        "訪問看護師の付き添いでも受診できます。",
        "diary.title": "健康日記",
        "diary.body": "血圧・体重・歩数・気分などを記録して、グラフで振り返ります。",
        "care.title": "ケアの共有",
        "care.body": "ご本人の同意のもと、ご家族・看護師・ケアマネジャーが様子を共有します。",
        "coming_soon": "この画面は準備中です。",
        "settings.title": "設定",
        "settings.language": "言語",
        "settings.large_text": "文字を大きくする",
        "settings.large_text_help": "画面の文字とボタンを大きく表示します。",
        "settings.server": "サーバー",
        "settings.version": "サーバーのバージョン",
        "settings.last_checked": "最終確認",
        "settings.check_now": "今すぐ確認",
        "status.online": "オンライン",
        "status.offline": "オフライン",
        "status.checking": "接続を確認中",
        "status.offline_help": "サーバーに接続できません。通信環境を確認してください。",
        "never": "まだ確認していません",
    },
    "en": {
        "app_title": "machi Hitachi",
        "section.trips": "Trips",
        "section.mobility": "Mobility",
        "section.clinic": "Clinic",
        "section.diary": "Diary",
        "section.care": "Care",
        "section.settings": "Settings",
        "trips.title": "Where are you going?",
        "trips.body": "Enter where you start and where you are going to find a way by JR, bus, "
        "Hitachi BRT, walking and shared vehicles.",
        "mobility.title": "Shared vehicles",
        "mobility.body": "Book e-scooters and e-bikes, and the self-driving shuttle from your home "
        "to the bus stop.",
        "clinic.title": "Online clinic",
        "clinic.body": "Join your booked consultation by video call, on your own or with your "
        "visiting nurse.",
        "diary.title": "Health diary",
        "diary.body": "Record blood pressure, weight, steps and mood, and look back at charts.",
        "care.title": "Care sharing",
        "care.body": "With the person's consent, family, nurses and care managers share how they "
        "are doing.",
        "coming_soon": "This screen is being prepared.",
        "settings.title": "Settings",
        "settings.language": "Language",
        "settings.large_text": "Large text",
        "settings.large_text_help": "Shows text and buttons larger.",
        "settings.server": "Server",
        "settings.version": "Server version",
        "settings.last_checked": "Last checked",
        "settings.check_now": "Check now",
        "status.online": "Online",
        "status.offline": "Offline",
        "status.checking": "Checking connection",
        "status.offline_help": "Cannot reach the server. Please check your connection.",
        "never": "Not checked yet",
    },
}


def translate(language: str, key: str) -> str:
    """The text for `key`; falls back to Japanese, then to the key itself (visible in tests)."""
    return STRINGS.get(language, STRINGS["ja"]).get(key) or STRINGS["ja"].get(key, key)
