# Every word the operator sees, Chinese first, English second. The font subset and the
# printer's GB18030 table are generated from the characters used in firmware sources, so
# a new string here needs `make assets`.

_ZH = 0
lang = _ZH  # index into the pairs: 0 Chinese, 1 English


def set_language(code):
    global lang
    lang = 1 if code == "en" else 0


def t(key):
    return S[key][lang]


S = {
    # menus
    "app": ("预授权终端", "PRE-AUTH POS"),
    "m_preauth": ("预授权", "Pre-auth"),
    "m_void": ("预授权撤销", "Pre-auth void"),
    "m_query": ("交易查询", "Query"),
    "m_reprint": ("重打印", "Reprint"),
    "m_signin": ("签到", "Sign in"),
    "m_admin": ("管理", "Admin"),
    "m_by_voucher": ("按凭证号", "By voucher no."),
    "m_by_keyed": ("手工输入原交易", "Key in original"),
    "m_last": ("重打上笔", "Last receipt"),
    "m_any": ("重打任意笔", "Any receipt"),
    "m_language": ("语言/Language", "语言/Language"),
    "m_password": ("修改主管密码", "Supervisor pwd"),
    "m_info": ("终端信息", "Terminal info"),
    "m_reversal": ("冲正记录", "Reversal"),
    # prompts
    "amount": ("请输入金额:", "Amount:"),
    "card": ("请刷卡或输卡号", "Swipe or key PAN"),
    "pan": ("请输入卡号:", "Card number:"),
    "expiry": ("有效期(YYMM):", "Expiry (YYMM):"),
    "voucher": ("原凭证号:", "Orig. voucher:"),
    "auth": ("原授权码:", "Orig. auth code:"),
    "orig_date": ("原交易日期MMDD", "Orig. date MMDD"),
    "orig_amount": ("原交易金额:", "Orig. amount:"),
    "sup_pwd": ("请输入主管密码", "Supervisor pwd"),
    "new_pwd": ("请输入新密码", "New password"),
    "again_pwd": ("请再输入一次", "Repeat password"),
    "confirm_hint": ("确认键继续", "ENTER to go on"),
    "print_cardholder": ("打印持卡人存根?", "Cardholder copy?"),
    "yes_no": ("确认=是 取消=否", "ENTER=yes X=no"),
    "any_key": ("按任意键返回", "Any key: back"),
    "mode_abc": ("字母", "ABC"),
    "mode_123": ("数字", "123"),
    "page": ("上下键翻页", "UP/DOWN: more"),
    # progress
    "processing": ("处理中请稍候", "Processing..."),
    "connecting": ("连接主机", "Connecting"),
    "seconds_left": ("剩余%d秒", "%d s left"),
    "signing_in": ("签到中", "Signing in"),
    "reversing": ("冲正中", "Reversal"),
    "printing": ("打印中", "Printing"),
    # results and refusals
    "approved": ("交易成功", "Approved"),
    "declined": ("交易失败", "Declined"),
    "auth_code": ("授权码:", "Auth code:"),
    "signin_ok": ("签到成功", "Signed in"),
    "signin_fail": ("签到失败", "Sign-in failed"),
    "key_check": ("签到校验错", "Key check failed"),
    "batch": ("批次号:", "Batch:"),
    "no_answer": ("交易超时", "No answer"),
    "no_answer_hint": ("已记录冲正", "Reversal pending"),
    "mac_fail": ("MAC校验错", "MAC error"),
    "resign": ("请重新签到", "Sign in again"),
    "not_sent": ("连接主机失败", "Host unreachable"),
    "not_sent_hint": ("交易未发送", "Nothing was sent"),
    "store_fail": ("保存交易失败", "Cannot save"),
    "will_reverse": ("交易将冲正", "Will be reversed"),
    "rev_pending": ("有未完成冲正", "Reversal pending"),
    "rev_failed": ("冲正不成功", "Reversal failed"),
    "rev_retry": ("稍后重试", "Try again later"),
    "rev_done": ("冲正成功", "Reversal done"),
    "rev_none": ("无冲正记录", "No reversal"),
    "rev_flagged": ("冲正未成功记录", "Failed reversal"),
    "rev_cleared": ("已清除", "Cleared"),
    "batch_full": ("批次已满", "Batch full"),
    "batch_full_hint": ("请先结算", "Settle first"),
    "batch_nearly_full": ("批次将满", "Batch nearly full"),
    "bad_pan": ("卡号错误", "Invalid card no."),
    "bad_expiry": ("有效期错误", "Invalid expiry"),
    "card_expired": ("卡已过期", "Card expired"),
    "bad_swipe": ("刷卡失败", "Bad swipe"),
    "bad_date": ("日期错误", "Invalid date"),
    "bad_amount": ("金额错误", "Invalid amount"),
    "not_found": ("无此交易", "Not found"),
    "already_voided": ("原交易已撤销", "Already voided"),
    "already_completed": ("原交易已完成", "Already completed"),
    "too_old": ("原交易已过期", "Too old to void"),
    "wrong_card": ("卡号不符", "Not the same card"),
    "pwd_wrong": ("密码错误", "Wrong password"),
    "pwd_left": ("还可尝试%d次", "%d tries left"),
    "locked": ("撤销功能已锁定", "Voids locked"),
    "locked_left": ("%d分钟后再试", "Retry in %d min"),
    "pwd_changed": ("密码已修改", "Password changed"),
    "pwd_mismatch": ("两次输入不一致", "Entries differ"),
    "paper_out": ("打印机缺纸", "Printer: no paper"),
    "paper_hint": ("装纸后可重打印", "Reprint later"),
    "no_records": ("无交易记录", "No transactions"),
    "cancelled": ("已取消", "Cancelled"),
    "need_signin": ("请先签到", "Sign in first"),
    # summary labels
    "l_card": ("卡号:", "Card:"),
    "l_amount": ("金额:", "Amount:"),
    "l_date": ("日期:", "Date:"),
    "l_voucher": ("凭证号:", "Voucher:"),
    "l_state": ("状态:", "State:"),
    "l_rrn": ("参考号:", "Ref no.:"),
    "l_records": ("笔数:", "Records:"),
    "st_open": ("有效", "open"),
    "st_voided": ("已撤销", "voided"),
    "st_completed": ("已完成", "completed"),
    "st_cvoided": ("完成已撤销", "compl. voided"),
    "st_reversed": ("已冲正", "reversed"),
    "rec_damaged": ("记录损坏", "Record damaged"),
    "rev_damaged": ("冲正记录损坏", "Reversal damaged"),
    "rev_discard": ("确认键删除", "ENTER: discard"),
}

# Response codes of wire-format.md §6: what the operator is told.
RC = {
    "00": ("交易成功", "Approved"),
    "01": ("请持卡人与发卡银行联系", "Refer to card issuer"),
    "05": ("持卡人认证失败", "Do not honour"),
    "12": ("无效交易", "Invalid transaction"),
    "13": ("无效金额", "Invalid amount"),
    "14": ("无效卡号", "Invalid card number"),
    "25": ("找不到原始交易", "Original not found"),
    "30": ("报文格式错误", "Format error"),
    "51": ("余额不足", "Insufficient funds"),
    "54": ("过期卡", "Expired card"),
    "58": ("终端无效交易", "Not permitted here"),
    "61": ("超出金额限制", "Exceeds amount limit"),
    "64": ("原始金额错误", "Original amount wrong"),
    "94": ("重复交易", "Duplicate transaction"),
    "96": ("系统故障，请稍后重试", "System error, retry"),
    "98": ("发卡方超时", "Issuer timeout"),
    "A0": ("MAC校验错，请重新签到", "MAC error, sign in"),
}


def rc_text(code):
    """The explanation of a response code; unknown codes say declined + the code."""
    pair = RC.get(code)
    if pair:
        return pair[lang]
    return ("交易失败 %s" if lang == _ZH else "Declined %s") % code


# Receipts: both languages on the same line, as UnionPay slips print them.
R = {
    "merchant_copy": "商户存根 MERCHANT COPY",
    "cardholder_copy": "持卡人存根 CARDHOLDER COPY",
    "merchant_name": "商户名称(MERCHANT NAME):",
    "mid": "商户编号(MERCHANT NO.):",
    "tid": "终端编号(TERMINAL NO.):",
    "operator": "操作员号(OPERATOR NO.):",
    "card": "卡号(CARD NO.):",
    "issuer": "卡组织(CARD ORG.):",
    "type": "交易类型(TRANS TYPE):",
    "preauth": "预授权 PRE-AUTH",
    "void": "预授权撤销 PRE-AUTH VOID",
    "batch": "批次号(BATCH NO.):",
    "voucher": "凭证号(VOUCHER NO.):",
    "orig_voucher": "原凭证号(ORIG. VOUCHER):",
    "auth": "授权码(AUTH NO.):",
    "rrn": "参考号(REFER NO.):",
    "datetime": "日期/时间(DATE/TIME):",
    "amount": "金额(AMOUNT):",
    "signature": "持卡人签名 CARDHOLDER SIGNATURE",
    "agree": "本人确认以上交易,同意将其记入本卡账户",
    "reprint": "重打印 DUPLICATED",
    "rev_failed": "冲正不成功 REVERSAL FAILED",
    "rev_note": "请联系收单机构处理",
    "reason": "原因(REASON):",
    "attempts": "尝试次数(ATTEMPTS):",
}
