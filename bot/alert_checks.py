"""What the alerts check, each check giving its problem with an operator's message in
Indonesian and a log line with the figures; `bot.alerts` sends them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.receiving import ReceiveTrouble
from bot.settings import Settings
from core.outbox import PRIORITIES, Priority
from core.text import esc
from db.alerts import Outcomes, Overdue

__all__ = [
    "ALL_PRIORITIES",
    "WAITING_PRIORITIES",
    "AlertConfig",
    "Problem",
    "delivery_problem",
    "leader_problem",
    "receive_problem",
    "resolved_text",
    "waiting_problem",
]

# Replies, then reminders, attendance prompts and notices: what must not wait.
WAITING_PRIORITIES = (Priority.REPLY, Priority.URGENT)
ALL_PRIORITIES = PRIORITIES
_WIB = ZoneInfo("Asia/Jakarta")
_HEAD = "⚠️ <b>Peringatan Dahar Ngopi</b>"


@dataclass(frozen=True)
class AlertConfig:
    """The alerts' thresholds (ALERT_* settings)."""

    interval: float = 30.0  # seconds between checks
    repeat: timedelta = timedelta(minutes=30)  # at most one alert per kind per this
    failure_rate: float = 0.05  # share of deliveries failing...
    failure_window: timedelta = timedelta(minutes=10)  # ... over this window
    failure_min: int = 20  # ... out of at least this many outcomes
    waiting: timedelta = timedelta(minutes=5)  # urgent rows due this long ago
    receive: timedelta = timedelta(minutes=2)  # receiving failing this long
    webhook_pending: int = 100  # updates Telegram holds for our webhook
    resolved: bool = True  # say when a problem alerted about is over
    leader_timeout: timedelta = timedelta(seconds=15)  # no leader this long
    tz: ZoneInfo = _WIB  # how times are shown

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertConfig:
        """Read the settings."""
        return cls(settings.alert_check_seconds, timedelta(minutes=settings.alert_repeat_minutes),
                   settings.alert_failure_percent / 100,
                   timedelta(minutes=settings.alert_failure_minutes), settings.alert_failure_min,
                   timedelta(minutes=settings.alert_waiting_minutes),
                   timedelta(minutes=settings.alert_receive_minutes),
                   settings.alert_webhook_pending, settings.alert_resolved,
                   timedelta(seconds=settings.leader_timeout), settings.tz)


@dataclass(frozen=True)
class Problem:
    """Something wrong now: its kind (one alert per kind per ALERT_REPEAT_MINUTES), the
    owners' message and the log line."""

    kind: str  # delivery:telegram, waiting, receive:whatsapp, leader
    text: str  # the owners' message (the small HTML subset of `Reply`)
    log: str  # the log line, with its figures


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:.0f}"


def _at(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M %Z")


def delivery_problem(
    channel: str, label: str, found: Outcomes, config: AlertConfig
) -> Problem | None:
    """A channel's deliveries failing above the threshold in the window."""
    if found.total < config.failure_min or found.rate <= config.failure_rate:
        return None
    window = _minutes(config.failure_window)
    reasons = ", ".join(f"{esc(r)} ({n})" for r, n in found.reasons.most_common(3))
    text = (
        f"{_HEAD}\nPengiriman pesan {esc(label)} banyak yang gagal: <b>{found.failed} dari "
        f"{found.total}</b> ({found.rate:.0%}) dalam {window} menit terakhir (batas "
        f"{config.failure_rate:.0%}).\nPenyebab terbanyak: {reasons}.\n\nMohon periksa: "
        f"token/akses {esc(label)} masih berlaku, koneksi server ke {esc(label)}, dan isi "
        f"pesan yang baru dikirim (mis. pengumuman). Rinciannya ada di log (\"deliveries "
        f"failing\").")
    log_line = (f"alert: deliveries failing on {channel}: {found.failed} of {found.total} "
                f"({found.rate:.1%}) in the last {window} min, over {config.failure_rate:.0%}; "
                f"reasons {dict(found.reasons.most_common(5))}")
    return Problem(f"delivery:{channel}", text, log_line)


def waiting_problem(found: Overdue, labels: Mapping[str, str], now: datetime,
                    config: AlertConfig) -> Problem | None:
    """Replies, reminders or prompts due for longer than the threshold and still waiting."""
    if found.count == 0 or found.oldest is None:
        return None
    age = _minutes(now - found.oldest)
    where = ", ".join(f"{esc(labels.get(c, c))} {n}" for c, n in sorted(found.by_channel.items()))
    text = (
        f"{_HEAD}\n<b>{found.count}</b> pesan penting (balasan, pengingat, presensi) sudah "
        f"lewat waktunya lebih dari {_minutes(config.waiting)} menit dan belum terkirim "
        f"({where}); yang terlama menunggu {age} menit.\n\nMohon periksa: proses "
        f"<code>run</code>/<code>worker</code> berjalan (<code>dahar-ngopi health</code>), "
        f"koneksi ke platform, dan apakah pengiriman sedang dijeda karena batas kecepatan "
        f"(lihat log: 429 / paused). Untuk pengiriman massal di Telegram, "
        f"TELEGRAM_PAID_BROADCAST dapat mempercepat.")
    log_line = (f"alert: {found.count} urgent messages due over "
                f"{_minutes(config.waiting)} min ago still wait {found.by_channel}; "
                f"the oldest for {age} min")
    return Problem("waiting", text, log_line)


def receive_problem(channel: str, label: str, found: ReceiveTrouble,
                    config: AlertConfig) -> Problem:
    """A channel's receiving failing (its loop or its webhook)."""
    if found.pending is not None:
        what = (f"<b>{found.pending}</b> update menunggu di {esc(label)} untuk dikirim ke "
                f"webhook bot (kesalahan terakhir menurut {esc(label)}: {esc(found.error)})")
    else:
        what = (f"gagal <b>{found.failures} kali</b> berturut-turut sejak "
                f"{_at(found.since, config.tz)} (kesalahan terakhir: {esc(found.error)})")
    text = (
        f"{_HEAD}\nPenerimaan pesan {esc(label)} bermasalah: {what}. Pesan dari peserta "
        f"belum masuk ke bot.\n\nMohon periksa: {esc(found.hint or 'log proses run')}.")
    log_line = (f"alert: receiving on {channel} failing since {found.since.isoformat()}: "
                f"{found.failures} failures, pending {found.pending}, last error "
                f"{found.error!r}")
    return Problem(f"receive:{channel}", text, log_line)


def leader_problem(since: datetime, now: datetime, config: AlertConfig) -> Problem:
    """No live process has led the scheduler for longer than LEADER_TIMEOUT."""
    seconds = (now - since).total_seconds()
    text = (
        f"{_HEAD}\nTidak ada proses yang memimpin penjadwal sejak {_at(since, config.tz)} "
        f"({seconds:.0f} detik): menu pagi, pengingat, presensi dan sertifikat tidak "
        f"dijadwalkan.\n\nMohon periksa: proses <code>run</code>/<code>worker</code> berjalan "
        f"(<code>dahar-ngopi health</code>), koneksi ke database, dan log (\"leadership\").")
    log_line = (f"alert: no live scheduler leader for {seconds:.0f} s "
                f"(LEADER_TIMEOUT {config.leader_timeout.total_seconds():.0f} s)")
    return Problem("leader", text, log_line)


def resolved_text(kind: str, labels: Mapping[str, str]) -> str:
    """What the owners are told once the problem of `kind` is over."""
    what, _, channel = kind.partition(":")
    label = esc(labels.get(channel, channel))
    texts = {
        "delivery": f"Pengiriman pesan {label} sudah normal kembali.",
        "waiting": "Pesan penting (balasan, pengingat, presensi) sudah terkirim tepat waktu "
                   "kembali.",
        "receive": f"Penerimaan pesan {label} sudah normal kembali.",
        "leader": "Penjadwal berjalan kembali: ada proses yang memimpinnya.",
    }
    return f"✅ <b>Dahar Ngopi pulih</b>\n{texts.get(what, esc(kind))}"
