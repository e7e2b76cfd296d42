"""The stable codes every fourx API error body carries (`{"code": …, "detail": …}`), each with
the Chinese sentence a client shows a person: what went wrong and what to do. Standard library
only. `docs/error-codes.json` is generated from `CATALOG` (`fourx-dev error-codes`), so the web
console words every code the way this module does; a unit test checks that every code the
services can answer with is here.

A code names one idea in every service (`access.not_in_directory` is the same refusal whether
meetings or issues says it). The generic kinds (`refused`, `forbidden`, `not_found`,
`invalid`) are what a refusal carries when its raise site gives no finer code; `detail` always
says the particulars (which item, which line, which field).
"""

from __future__ import annotations

import json
import sys

CATALOG: dict[str, str] = {
    # --- the generic kind of each refusal ---------------------------------------------------
    "refused": "按现行工作规则，此操作现在不能进行。请按提示查看原因，刷新后再试。",
    "forbidden": "您没有权限进行此操作。如确需办理，请联系所在单位或区党建办。",
    "not_found": "要查看或办理的内容不存在，可能已被删除或编号有误。请返回列表重新选择。",
    "invalid": "填写的内容有误，请按提示修改标出的项目后重新提交。",
    "internal": "系统内部出错，操作未完成。请稍后重试；如仍不行，请联系平台运维人员。",
    "unavailable": "系统暂时繁忙或正在恢复，操作未完成。请稍等片刻后重试。",
    "conflict.retry": "有人同时修改了同一内容，本次保存未成功。请刷新后重新提交。",
    # --- the HTTP surface itself -------------------------------------------------------------
    "route.not_found": "没有这个接口地址。请检查地址是否正确，或刷新页面后再试。",
    "route.method_not_allowed": "此接口不支持这种请求方式。请刷新页面后再试；如仍不行，请联系平台运维人员。",
    "input.too_large": "提交的内容或上传的文件过大。请精简内容或拆分文件后重新提交。",
    "input.bad_request": "请求格式不正确（地址、参数或长度有误）。请刷新页面后重新操作。",
    "input.value_refused": "提交的内容中含有系统不能接受的值（如嵌套过深、数字过大或特殊字符）。请修改后重新提交。",
    # --- who is calling (tokens) -------------------------------------------------------------
    "auth.token_missing": "您尚未登录或登录已失效。请重新登录。",
    "auth.token_invalid": "登录凭证无效或已过期。请重新登录。",
    "auth.not_configured": "本服务尚未配置登录校验，暂时无法使用。请联系平台运维人员。",
    # --- what a caller may do (access tables) ------------------------------------------------
    "access.wrong_district": "您的账号属于其他区，不能查看或办理本区的事务。请用本区账号登录。",
    "access.not_in_directory": "您不在本区的组织名册中。请联系区党建办把您加入名册后再试。",
    "access.no_directory": "本区尚未导入组织名册。请区党建办先导入组织名册。",
    "access.role_required": "此操作需要特定的角色，您在名册中的角色不具备。请由具备相应角色的同志办理，或联系区党建办调整名册。",
    "access.city_token": "市级账号只能查看本市各区的成效数据，不能查看或修改区里的具体记录。请用区里的账号办理。",
    "access.city_only": "此页面仅供市级账号查看。请用市委组织部的账号登录。",
    "access.wrong_city": "您的账号属于其他市，不能查看本市的数据。请用本市账号登录。",
    "access.not_in_city": "该区不属于您所在的市，不能查看。请从本市的区列表中选择。",
    "access.operators_only": "此操作仅限平台运维人员。请联系平台运维人员办理。",
    "access.dev_only": "此功能仅在开发（演示）环境中可用，正式环境中不能使用。",
    "access.unlisted_route": "此接口未列入访问规则，已拒绝。请联系平台运维人员。",
    # --- the organisation directory (meetings) -----------------------------------------------
    "directory.missing": "本区尚未导入组织名册。请区党建办先在“组织架构”中导入名册。",
    "directory.invalid": "组织名册有误，未导入。请按所列行号逐条改正后重新导入。",
    "community.not_found": "组织名册中没有这个社区。请核对社区编号，或先在组织名册中添加该社区。",
    # --- activity days and topics (meetings) -------------------------------------------------
    "suggestion.not_found": "没有这条意见建议。请返回意见建议列表重新选择。",
    "suggestion.already_decided": "这条意见建议已经作出采纳或不予采纳的决定，不能再次决定。",
    "suggestion.conflicting_repeat": "这条意见建议已经以不同内容提交过。请刷新页面查看已提交的内容。",
    "activity_day.not_found": "没有这个集中活动日。请返回集中活动日列表重新选择。",
    "activity_day.closed": "该集中活动日已经结束，内容不能再修改。如需补充，请联系区党建办。",
    "activity_day.not_yet_held": "集中活动日还没有举行，不能结束。请在活动日当天或之后再结束。",
    "activity_day.cannot_close": "集中活动日还不能结束：还有社区未汇报、未点评或缺少总结。请按所列缺项补齐后再结束。",
    "activity_day.close_not_allowed": "结束集中活动日须由组织部副部长或区党建办办理。",
    "report.not_your_community": "社区书记只能为本社区填报工作汇报。请选择您所在的社区。",
    "comment.not_your_street": "组织委员只能点评本街道所属社区的汇报。请选择本街道的社区。",
    "topic.window_closed": "本次集中活动日的议题征集已经截止。请在下个月的征集期内提出。",
    "topic.window_not_open": "本次集中活动日的议题征集尚未开始。请在征集开始后再提出。",
    "topic.conflict": "同一编号的议题已按其他内容提出过。请换一个议题编号，或刷新后查看已提出的议题。",
    "topic.not_found": "该集中活动日没有这个议题。请刷新议题列表后重新选择。",
    "activity.conflict": "同一编号的活动已按其他内容记录过。请换一个活动编号，或刷新后查看已记录的活动。",
    "clock.override_off": "本区的日期设置已关闭，不能修改“今天”。仅在演示环境中可用。",
    # --- supervision items (issues) ----------------------------------------------------------
    "item.not_found": "没有这个督办事项。请返回督办清单重新选择。",
    "item.wrong_status": "督办事项当前的状态不允许此操作。请刷新后查看事项的最新状态。",
    "item.not_your_unit": "只有责任单位或督办部门可以办理这个督办事项。如需办理，请联系责任单位。",
    "item.own_unit_only": "只能为本单位提出督办事项。如需交办其他单位，请联系区党建办。",
    "item.already_overdue": "该事项已经标记为逾期，无需再次标记。",
    "item.not_overdue": "该事项尚未超过办理时限，不能标记为逾期。",
    "notice.already_issued": "该事项已经发出过督办通知，同一事项只发一次。请在事项详情中查看已发的通知。",
    "notice.none": "该事项还没有发出督办通知。请先由督办部门发出通知。",
    "notice.not_yours": "这份督办通知的签收人不是您。请由通知指定的签收人签收，或由区党建办代签。",
    "interview.already_scheduled": "该事项已经安排过约谈。请在事项详情中查看约谈安排。",
    "interview.needs_notice": "约谈须在督办通知之后进行。请先发出督办通知。",
    "interview.none": "该事项还没有安排约谈。请先安排约谈，再记录约谈结果。",
    "inspection.not_found": "没有这次督查。请返回督查列表重新选择。",
    # --- bulletins and the inbox (notify) ----------------------------------------------------
    "bulletin.not_found": "这一周还没有工作通报。通报一般在每周一上午生成，请稍后再看。",
    "inbox.not_found": "您的待办中没有这一项，可能已经处理过。请刷新待办列表。",
}


def message(code: str) -> str:
    """The sentence for `code`; an unknown code reads as the generic internal error."""
    return CATALOG.get(code, CATALOG["internal"])


def document() -> dict:
    """What `docs/error-codes.json` holds: every code and its Chinese sentence, sorted."""
    return {"description": "fourx API 错误码：每个错误响应体为 {\"code\": 错误码, \"detail\": 具体说明}；"
                           "此处为每个错误码对用户的中文提示。由 fourx_platform.error_codes 生成，请勿手改。",
            "codes": {code: {"message": CATALOG[code]} for code in sorted(CATALOG)}}


def render() -> str:
    return json.dumps(document(), ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m fourx_platform.error_codes [--output FILE] [--check]`."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    output = args[args.index("--output") + 1] if "--output" in args else None
    text = render()
    if output is None:
        sys.stdout.write(text)
        return 0
    if check:
        try:
            with open(output, encoding="utf-8") as f:
                same = f.read() == text
        except OSError:
            same = False
        if not same:
            print(f"{output} is stale: run `fourx-dev error-codes`", file=sys.stderr)
        return 0 if same else 1
    with open(output, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
