"""The portal's words in Chinese (the default) and English. Every text a page shows is here."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

# English names of the criterion keys the bureau uses; other keys are shown as they are written.
CRITERION_EN = {
    "technology": "Technology & innovation",
    "industrialisation": "Industrialisation prospects",
    "team": "Team",
    "landing": "Landing intention",
    "landing_intention": "Landing intention",
    "market": "Market",
}
DOMAINS = {
    "zh": {1: "生命健康", 2: "新能源新材料", 3: "数字经济", 4: "其他"},
    "en": {1: "Life & health", 2: "New energy & materials", 3: "Digital economy", 4: "Other"},
}
ROUND_STATES = {
    "zh": {1: "草稿", 2: "评审中", 3: "已截止", 4: "已定稿"},
    "en": {1: "Draft", 2: "Open", 3: "Closed", 4: "Finalized"},
}
INVITATION_STATES = {
    "zh": {1: "有效", 2: "已过期", 3: "已撤销"},
    "en": {1: "active", 2: "expired", 3: "revoked"},
}

MESSAGES: dict[str, dict[Lang, str]] = {
    "portal.title": {"zh": "评委评审平台", "en": "Judges' portal"},
    "portal.contest": {"zh": "全球精英创新创业大赛", "en": "Global Elite Innovation & Entrepreneurship Competition"},
    "nav.assignments": {"zh": "我的评审任务", "en": "My assignments"},
    "nav.sheets": {"zh": "我的评分表", "en": "My score sheets"},
    "nav.admin": {"zh": "评审进度", "en": "Judging progress"},
    "nav.signout": {"zh": "退出", "en": "Sign out"},
    "nav.skip": {"zh": "跳到正文", "en": "Skip to content"},
    "lang.other": {"zh": "English", "en": "中文"},
    "lang.other_label": {"zh": "Switch to English", "en": "切换到中文"},
    "signed_in_as": {"zh": "当前评委：{name}", "en": "Signed in: {name}"},
    "signin.title": {"zh": "登录", "en": "Sign in"},
    "signin.intro": {
        "zh": "请打开大赛组委会发给您的个人登录链接。若页面未自动登录，请将链接中 “#t=” 之后的登录码粘贴到下方。",
        "en": "Open the personal sign-in link the organisers sent you. If it does not sign you in by itself, "
        "paste the code after “#t=” in the link below.",
    },
    "signin.code": {"zh": "登录码", "en": "Sign-in code"},
    "signin.submit": {"zh": "登录", "en": "Sign in"},
    "signin.working": {"zh": "正在登录…", "en": "Signing in…"},
    "signin.admin": {"zh": "管理员令牌", "en": "Administrator token"},
    "signin.failed.invalid": {
        "zh": "登录链接无效：可能不完整或已被修改。请使用组委会发给您的完整链接。",
        "en": "This sign-in link is not valid: it may be incomplete or altered. Use the full link you were sent.",
    },
    "signin.failed.expired": {
        "zh": "登录链接已过期。请联系大赛组委会获取新的链接。",
        "en": "This sign-in link has expired. Ask the organisers for a new one.",
    },
    "signin.failed.revoked": {
        "zh": "登录链接已被撤销。请联系大赛组委会获取新的链接。",
        "en": "This sign-in link has been revoked. Ask the organisers for a new one.",
    },
    "signin.failed.busy": {
        "zh": "尝试次数过多，请一分钟后再试。",
        "en": "Too many attempts; try again in a minute.",
    },
    "signin.failed.admin": {
        "zh": "管理员令牌无效或已过期。",
        "en": "The administrator token is not valid or has expired.",
    },
    "signin.ended": {
        "zh": "您的登录已结束（长时间未操作、登录链接已撤销或已过期）。请重新打开登录链接。",
        "en": "Your session has ended (idle too long, or the link was revoked or expired). Open your link again.",
    },
    "signout.done": {
        "zh": "您已退出。本设备上的草稿已清除。",
        "en": "You are signed out. Drafts on this device were removed.",
    },
    "assignments.title": {"zh": "我的评审任务", "en": "My assignments"},
    "assignments.none": {
        "zh": "目前没有正在评审中的轮次分配给您。",
        "en": "No open round has entries assigned to you at the moment.",
    },
    "assignments.progress": {"zh": "已提交 {submitted} / {assigned} 项", "en": "{submitted} of {assigned} submitted"},
    "deadline": {"zh": "截止时间：{when}（北京时间）", "en": "Deadline: {when} (Beijing time, UTC+8)"},
    "deadline.left": {"zh": "剩余 {days} 天 {hours} 小时", "en": "{days} d {hours} h left"},
    "deadline.passed": {"zh": "已过截止时间", "en": "Deadline passed"},
    "deadline.none": {"zh": "未设截止时间", "en": "No deadline set"},
    "status.not_started": {"zh": "未开始", "en": "Not started"},
    "status.draft": {"zh": "草稿（本设备）", "en": "Draft (this device)"},
    "status.submitted": {"zh": "已提交 第 {version} 版 · {when}", "en": "Submitted v{version} · {when}"},
    "entry.team": {"zh": "团队", "en": "Team"},
    "entry.leader": {"zh": "负责人", "en": "Leader"},
    "entry.organisations": {"zh": "单位", "en": "Organisations"},
    "entry.domain": {"zh": "领域", "en": "Domain"},
    "entry.summary": {"zh": "项目简介", "en": "Summary"},
    "entry.score": {"zh": "评分", "en": "Score"},
    "entry.rescore": {"zh": "修改评分", "en": "Change score"},
    "entry.conflict": {"zh": "声明利益冲突", "en": "Declare a conflict of interest"},
    "score.title": {"zh": "评分：{title}", "en": "Score: {title}"},
    "score.criteria": {"zh": "评分项", "en": "Criteria"},
    "score.weight": {"zh": "权重 {weight}", "en": "weight {weight}"},
    "score.range": {"zh": "{min}–{max} 分，步长 {step}", "en": "{min}–{max}, in steps of {step}"},
    "score.comment": {"zh": "评语（选填）", "en": "Comment (optional)"},
    "score.review": {"zh": "检查并确认", "en": "Review"},
    "score.current": {
        "zh": "您已提交第 {version} 版（{when}）。再次提交将替换它。",
        "en": "You submitted v{version} ({when}). Submitting again replaces it.",
    },
    "score.draft_saved": {"zh": "草稿已保存在本设备（{when}）", "en": "Draft saved on this device ({when})"},
    "score.draft_restored": {"zh": "已恢复本设备上的草稿。", "en": "Your draft on this device was restored."},
    "score.draft_discard": {"zh": "丢弃草稿", "en": "Discard draft"},
    "score.draft_note": {
        "zh": "草稿仅保存在本浏览器中，关闭页面或断网也不会丢失；提交后自动删除。",
        "en": "Drafts stay in this browser only and survive a closed tab or a lost connection; "
        "they are removed once submitted.",
    },
    "review.title": {"zh": "确认提交：{title}", "en": "Confirm: {title}"},
    "review.intro": {"zh": "请核对以下评分，确认无误后提交。", "en": "Check the scores below, then submit."},
    "review.resubmit": {
        "zh": "这将替换您已提交的第 {version} 版。有变化的评分已标出。",
        "en": "This replaces your submitted version {version}. Changed scores are marked.",
    },
    "review.before": {"zh": "原评分", "en": "Before"},
    "review.after": {"zh": "新评分", "en": "New"},
    "review.changed": {"zh": "已修改", "en": "changed"},
    "review.unchanged": {"zh": "（无变化）", "en": "(no change)"},
    "review.total": {"zh": "加权总分（0–100）：{total}", "en": "Weighted total (0–100): {total}"},
    "review.confirm_replace": {
        "zh": "我确认用新的评分替换第 {version} 版",
        "en": "I confirm that these scores replace version {version}",
    },
    "review.submit": {"zh": "确认提交", "en": "Submit"},
    "review.edit": {"zh": "返回修改", "en": "Back to edit"},
    "review.no_comment": {"zh": "（无评语）", "en": "(no comment)"},
    "submitted.flash": {
        "zh": "评分已提交：{title}，第 {version} 版，加权总分 {total}。",
        "en": "Submitted: {title}, version {version}, weighted total {total}.",
    },
    "conflict.title": {"zh": "声明利益冲突：{title}", "en": "Declare a conflict of interest: {title}"},
    "conflict.intro": {
        "zh": "如果您与该项目团队存在利益关系（如同一单位、合作、投资或亲属关系），请声明。"
        "声明后该评审任务将被撤回，且无法恢复。",
        "en": "Declare it if you have an interest in this team (same organisation, collaboration, investment, family). "
        "The assignment is then withdrawn; this cannot be undone.",
    },
    "conflict.reason": {"zh": "原因", "en": "Reason"},
    "conflict.submit": {"zh": "声明并撤回该任务", "en": "Declare and withdraw the assignment"},
    "conflict.flash": {
        "zh": "已声明与“{title}”的利益冲突，该评审任务已撤回。",
        "en": "Conflict declared for “{title}”; the assignment was withdrawn.",
    },
    "sheets.title": {"zh": "我的评分表", "en": "My score sheets"},
    "sheets.none": {"zh": "您还没有提交评分表。", "en": "You have not submitted a score sheet yet."},
    "sheets.version": {"zh": "第 {version} 版 · {when}", "en": "v{version} · {when}"},
    "sheets.total": {"zh": "总分 {total}", "en": "Total {total}"},
    "admin.title": {"zh": "评审进度", "en": "Judging progress"},
    "admin.rounds": {"zh": "轮次", "en": "Rounds"},
    "admin.progress": {"zh": "{round}：评审进度", "en": "{round}: progress"},
    "admin.judge": {"zh": "评委", "en": "Judge"},
    "admin.expected": {"zh": "应评", "en": "Expected"},
    "admin.submitted": {"zh": "已提交", "en": "Submitted"},
    "admin.missing": {"zh": "未提交", "en": "Missing"},
    "admin.link": {"zh": "登录链接", "en": "Sign-in link"},
    "admin.link_for": {"zh": "{name} 的登录链接", "en": "Sign-in link of {name}"},
    "admin.copy": {"zh": "复制链接", "en": "Copy link"},
    "admin.copied": {"zh": "已复制", "en": "Copied"},
    "admin.no_link": {"zh": "尚无有效链接", "en": "No active link"},
    "admin.invite": {"zh": "为评委生成登录链接", "en": "Create sign-in links for the judges"},
    "admin.invited": {"zh": "已生成 {created} 个新链接。", "en": "{created} new link(s) created."},
    "admin.revoke": {"zh": "撤销链接", "en": "Revoke link"},
    "admin.revoked": {"zh": "链接已撤销。", "en": "The link was revoked."},
    "admin.expires": {"zh": "有效期至 {when}", "en": "valid until {when}"},
    "admin.totals": {
        "zh": "共应评 {expected} 份，已提交 {submitted} 份（{percent}%）",
        "en": "{submitted} of {expected} sheets submitted ({percent}%)",
    },
    "admin.leaderboard": {"zh": "排行榜（已定稿）", "en": "Leaderboard (finalized)"},
    "admin.leaderboard_hidden": {
        "zh": "排行榜在本轮定稿后显示。",
        "en": "The leaderboard is shown once the round is finalized.",
    },
    "admin.rank": {"zh": "名次", "en": "Rank"},
    "admin.entry": {"zh": "项目", "en": "Entry"},
    "admin.score": {"zh": "得分", "en": "Score"},
    "admin.award": {"zh": "奖项", "en": "Award"},
    "error.title": {"zh": "出错了", "en": "Something went wrong"},
    "error.home": {"zh": "返回首页", "en": "Back to the start"},
    "error.not_found": {"zh": "页面不存在。", "en": "This page does not exist."},
    "error.not_assigned": {
        "zh": "该项目不在您的评审任务中（可能已撤回或您无权查看）。",
        "en": "This entry is not one of your assignments (it may have been withdrawn).",
    },
    "error.conflict": {
        "zh": "您与该项目存在利益冲突，不能为其评分。",
        "en": "You have a conflict of interest with this entry and cannot score it.",
    },
    "error.round_closed": {
        "zh": "本轮评审已截止，不再接受评分。",
        "en": "This round is closed: score sheets are no longer accepted.",
    },
    "error.request_reused": {
        "zh": "这份表单已经提交过。请重新打开评分页面后再提交。",
        "en": "This form was already submitted. Open the scoring page again to submit a change.",
    },
    "error.score_missing": {"zh": "请填写此项评分。", "en": "Enter a score."},
    "error.score_not_number": {"zh": "请输入数字。", "en": "Enter a number."},
    "error.score_range": {"zh": "分数须在 {min} 到 {max} 之间。", "en": "The score must be between {min} and {max}."},
    "error.score_step": {
        "zh": "分数须为 {min} 加上 {step} 的整数倍。",
        "en": "The score must be {min} plus a whole number of steps of {step}.",
    },
    "error.score_range_service": {
        "zh": "评审系统拒绝了此分数：须在 {min} 到 {max} 之间。",
        "en": "The service refused this score: it must be between {min} and {max}.",
    },
    "error.score_step_service": {
        "zh": "评审系统拒绝了此分数：步长须为 {step}。",
        "en": "The service refused this score: use steps of {step}.",
    },
    "error.score_invalid_service": {"zh": "评审系统拒绝了此分数。", "en": "The service refused this score."},
    "error.comment_invalid": {
        "zh": "评语过长或含有不允许的字符（最多 4000 字）。",
        "en": "The comment is too long or has characters that are not allowed (4,000 at most).",
    },
    "error.reason_invalid": {"zh": "请填写原因（不含特殊控制字符）。", "en": "Give a reason (no control characters)."},
    "error.signed_out": {"zh": "登录已失效，请重新打开登录链接。", "en": "You are signed out; open your link again."},
    "error.forbidden": {"zh": "您无权进行此操作。", "en": "You may not do this."},
    "error.csrf": {
        "zh": "表单已失效（可能页面打开太久）。请刷新页面后重试，未做任何更改。",
        "en": "The form has expired (the page may have been open too long). Reload and try again; nothing was changed.",
    },
    "error.too_large": {
        "zh": "提交的内容过大，未做任何更改。",
        "en": "What was sent is too large; nothing was changed.",
    },
    "error.bad_request": {"zh": "请求无效，未做任何更改。", "en": "The request is not valid; nothing was changed."},
    "error.service": {
        "zh": "评审系统暂时无法处理此请求，请稍后重试。您的草稿仍保存在本设备上。",
        "en": "The judging service could not handle this now; try again shortly. Your draft is still on this device.",
    },
    "error.unavailable": {
        "zh": "暂时无法连接评审系统，请稍后重试。您的草稿仍保存在本设备上。",
        "en": "The judging service cannot be reached; try again shortly. Your draft is still on this device.",
    },
    "error.fix_below": {"zh": "请修正下列标出的问题。", "en": "Please correct the marked fields."},
}


class Translator:
    def __init__(self, lang: Lang) -> None:
        self.lang: Lang = lang

    def __call__(self, key: str, **values: object) -> str:
        text = MESSAGES[key][self.lang]
        return text.format(**values) if values else text

    def criterion(self, key: str, display_name: str) -> tuple[str, str]:
        """(primary, secondary) names: the Chinese display name and the English one, in the UI's order."""
        english = CRITERION_EN.get(key, key.replace("_", " ").capitalize())
        return (display_name, english) if self.lang == "zh" else (english, display_name)

    def domain(self, number: int) -> str:
        return DOMAINS[self.lang].get(number, "")

    def round_state(self, number: int) -> str:
        return ROUND_STATES[self.lang].get(number, "")

    def invitation_state(self, number: int) -> str:
        return INVITATION_STATES[self.lang].get(number, "")
