"""Every user-facing string of the report, in Chinese (default) and English.

`UI` holds the interface text (section titles, notes, sentences with `{placeholders}`);
`COLUMNS` labels table columns by their column name in the run's tables (one line per column,
so a renamed column is a one-line change); unknown columns fall back to an attribute label from
`linkage.attributes` and then to the column name itself.
"""

from __future__ import annotations

from linkage.attributes import ATTRIBUTES

LANGUAGES = ("zh", "en")

UI: dict[str, dict[str, str]] = {
    "zh": {
        "title": "数据整合报告",
        "subtitle": "同一人员、企业在各部门系统中的重复录入情况与整合建议",
        "generated": "运行名称：{name}　版本：{version}",
        "not_available": "本节暂无数据：{reason}",
        "missing_table": "运行结果中没有表 {table}",
        "missing_metric": "metrics.json 中没有 {key}",
        "section_error": "生成本节时出错（{error}）",
        "no_rows": "无记录",
        "toc": "目录",
        "figure_header": "指标",
        "value_header": "数值",
        "sort_hint": "点击表头可排序",
        "masked_note": "身份证号、电话号码均已脱敏显示。",
        "entity_person": "人员",
        "entity_enterprise": "企业",
        "more_rows": "（仅显示前 {shown} 行，共 {total} 行，完整数据见 Excel 文件）",
        # sections
        "summary": "概要",
        "systems": "各系统情况",
        "overlap": "系统间重叠",
        "combinations": "系统组合（UpSet 图）",
        "field_reentry": "字段重复录入",
        "community": "各社区重复录入工时",
        "consistency": "数据一致性",
        "quality": "数据质量",
        "authority": "权威来源建议（一数一源）",
        "schema": "统一数据结构建议",
        "match_quality": "匹配质量",
        "uncertainty": "可能遗漏与待核实的匹配",
        "recall_estimate": "各数据源的召回率估计",
        "possible_matches": "可能匹配（{entity}，待人工核实）",
        "recall_text": "{entity}：估计召回率 {recall}（95% 区间 {low}–{high}）；约 {missed} 条记录"
                       "未能与同一{entity}的其他记录关联，据此实际{entity}数约为 {entities}"
                       "（区间 {entities_low}–{entities_high}），本次识别出 {found}。",
        "recall_unknown": "{entity}：没有两条记录共有同一有效标识（如身份证号、统一社会信用代码）可作银标准，无法估计召回率。",
        "possible_text": "{entity}：有 {pairs} 对记录的匹配概率介于 {low} 与阈值之间（可能匹配），"
                         "既未合并也未丢弃；若全部确认为同一{entity}，{entity}数将为 {entities}。",
        "row_accounting": "数据行核对",
        "how_to_read": "阅读说明",
        "systems_grouped": "按系统汇总",
        "consistency_pairs": "不一致最多的系统组合",
        "authority_ranking": "各来源排名",
        "blocking": "分块规则",
        "quarantine_reasons": "隔离原因",
        # one line under each section's heading
        "intro_systems": "每个数据源的记录数、对应的实体数、系统内重复（同一实体在同一系统录入多次）"
                         "以及其实体在其他系统中也有的比例。",
        "intro_overlap": "两两系统之间共有的实体：格子中的数字是行系统的实体中同时出现在列系统的比例。",
        "intro_combinations": "每个实体恰好出现在哪些系统中；最常见的组合排在左边。",
        "intro_field_reentry": "同一实体的同一字段在多个系统中被重复录入的次数，以及按录入时间和更新频率折算的每年工时"
                               "（每个字段的录入秒数见本节最后一表，可在配置 burden.seconds_per_field 中调整）。",
        "intro_community": "按社区（或网格）汇总的重复录入工时，说明哪些社区的网格员负担最重。",
        "intro_consistency": "同一实体在不同系统中的同一字段取值不一致的比例，以及不一致最多的系统组合和示例。",
        "intro_quality": "每个数据源各字段的填充率、有效率（通过校验，如身份证校验位）和格式符合率。",
        "intro_authority": "每个字段推荐的权威来源（排名第一），依据完整率、有效率和与多数一致的比例。",
        "intro_schema": "建议的统一数据结构：每类实体一张共享核心表，加上每个部门一张扩展表，以实体编号关联。",
        "intro_match_quality": "记录匹配的依据：匹配权重分布、阈值，以及各分块规则找到的候选记录对。",
        "intro_uncertainty": "共享同一有效标识的记录必属同一实体（银标准）；把它们的标识去掉或改错一位、"
                             "并按各数据源缺少标识的记录的样子抹去字段后重新匹配，仍能匹配上的比例即为该类记录的召回率，"
                             "由此估计漏掉的记录和实体数的区间。介于两个阈值之间的记录对列为可能匹配，待人工核实。",
        "intro_row_accounting": "每个数据源的每一行都有去处：成为有效记录，或因无法识别而被隔离（并注明原因）。",
        # summary figures
        "fig_records_in": "输入数据行",
        "fig_records": "有效记录",
        "fig_quarantined": "隔离行",
        "fig_people": "识别出的人员",
        "fig_enterprises": "识别出的企业",
        "fig_redundant_records": "重复记录",
        "fig_hours_per_year": "重复录入工时（小时/年）",
        "fig_hours_saved": "统一采集后可节省工时（小时/年）",
        "fig_within_source_duplicates": "系统内重复记录",
        "fig_multi_system_entities": "出现在多个系统的实体",
        "headline_records": "{sources} 个数据源共输入 {records_in} 行，形成 {records} 条有效记录。",
        "headline_entities": "这些记录对应 {people} 名人员和 {enterprises} 家企业。",
        "headline_redundant": "其中 {redundant} 条记录（{share}）是对已有人员或企业的重复录入。",
        "headline_redundant_estimated": "这是已关联上的部分；计入估计漏掉的关联（见“可能遗漏与待核实的匹配”一节），重复记录约 {estimated} 条"
                                        "（95% 区间 {low}–{high}）。",
        "headline_hours": "按每个字段的录入时间估算，重复录入每年约耗费 {hours} 小时网格员工时。",
        "headline_saved": "采用统一数据结构、一数一源后，每年约可节省 {hours} 小时。",
        # chart captions
        "chart_overlap": "{entity}：行系统中同时出现在列系统的比例",
        "chart_upset": "{entity}：各系统组合中的实体数（每列一种组合，圆点表示包含的系统）",
        "chart_reentry": "各字段重复录入次数（一个实体的同一字段在第一次之后又被录入的次数）",
        "chart_reentry_hours": "各字段重复录入工时（小时/年）",
        "chart_community": "重复录入工时最多的社区（小时/年）",
        "chart_weights": "{entity}：候选记录对的匹配权重分布（竖线为阈值）",
        "chart_rules": "{entity}：各分块规则新增的候选记录对",
        "threshold_line": "阈值",
        "weights_below": "；低于 {weight} 的计入最左边的柱",
        "weights_above": "；高于 {weight} 的计入最右边的柱",
        "entities_axis": "实体数",
        "pairs_axis": "记录对数",
        # schema
        "schema_tables": "建议的数据表",
        "schema_columns": "建议的字段",
        "collect_once": "可停止重复采集的字段",
        "collect_once_totals": "统一采集的效果",
        "crosswalk_text": "共 {source_columns} 个源字段：{mapped} 个对应到标准字段，{unmapped} 个为部门自有字段；"
                          "{to_core} 个进入共享核心表，{to_extension} 个进入部门扩展表，{dropped} 个在导出中为空未保留。",
        "consistency_examples": "不一致示例（已脱敏）",
        "reentry_by_system": "各系统重复录入",
        "chart_reentry_system": "各系统重复录入工时（小时/年）",
        "seconds_table": "每个字段的录入秒数",
        "crosswalk": "源字段对照表",
        # match quality
        "threshold_text": "{entity}：匹配概率 ≥ {threshold} 判为同一{entity}（匹配权重 ≥ {weight}）；"
                          "候选记录对 {candidates} 对，判定匹配 {linked} 对，EM 迭代 {iterations} 次。",
        "accounting_ok": "所有数据源均满足：输入行数 = 有效记录 + 隔离行，没有数据丢失。",
        "accounting_bad": "以下数据源的行数不平衡：{sources}",
        "how_to_read_body": (
            "<p><b>实体</b>：经过匹配确认为同一人员或同一企业的一组记录。"
            "<b>重复记录</b> = 记录数 − 实体数，即同一实体在各系统（或同一系统内）被多录入的次数。</p>"
            "<p><b>字段重复录入</b>：某个实体的某个字段，在第一个采集它的系统之外又被录入的次数；"
            "乘以每个字段的录入秒数和各系统每年的更新次数，得到每年耗费的工时。</p>"
            "<p><b>系统间重叠</b>：行系统的实体中，同时出现在列系统中的比例。"
            "<b>UpSet 图</b>：每一列是一种系统组合，柱高为恰好出现在这些系统中的实体数。</p>"
            "<p><b>一致性</b>：同一实体在不同系统中的同一字段取值不一致的比例。"
            "<b>权威来源</b>：按完整率、有效率和与多数一致的比例综合排序，推荐每个字段的首选来源。</p>"
            "<p><b>匹配权重</b>：Fellegi–Sunter 模型中两条记录为同一实体的证据强度（以 2 为底的对数），"
            "越大越可能是同一实体；超过阈值的记录对被合并。</p>"
            "<p>身份证号、电话号码在本报告中均已脱敏；完整数据保存在运行目录的 linkage.duckdb 中，"
            "仅供数据所有者查阅。每个数字都可以通过 source（数据源）和 source_row（原文件行号）追溯到原始行。</p>"
        ),
        # the model section and the list of improvements
        "model": "匹配模型",
        "intro_model": "每项比较的各个结果等级：m（同一实体的记录对落在该等级的概率）、u（不同实体的记录对落在该等级的概率）"
                       "及匹配权重 log2(m/u)——正值支持判为同一实体，负值反对；各分块规则找到的候选记录对及选用理由；"
                       "以及一项录错就无法关联的数据源组合。",
        "model_text": "{entity}：两条随机记录为同一{entity}的先验概率 {prior}；EM 迭代 {iterations} 次，{converged}。",
        "twins_text": "{entity}：在 {pairs} 对已知双胞胎（两个不同的有效身份证号、同一天出生、同一电话或同一住房）上测得姓名各等级的 u；"
                      "同一天出生又同住一户的记录对，其姓名按双胞胎之间的 u 衡量（下表“u（双胞胎之间）”），相近的名字不再被当作同一人的笔误。",
        "converged": "已收敛",
        "not_converged": "未收敛（结果仅供参考）",
        "chart_model": "{entity}：各比较等级的匹配权重（蓝色支持同一实体，红色反对）",
        "model_params": "比较等级与参数（m、u、匹配权重）",
        "fragile_text": "有 {pairs} 组数据源（含数据源自身）之间只靠个别字段关联：其中一项录错，同一实体的记录就可能无法关联（见下表）。",
        "fragile_pairs": "一项录错就无法关联的数据源组合",
        "coverage_ok": "任意两个数据源之间，任何一个共有字段录错一项，仍有其他分块规则能找到记录对。",
        "improve": "如何改进本次运行",
        "intro_improve": "按本次运行的结果，以下几项值得核对或补充；修改配置或补充导出字段后重新运行即可。",
        "improve_mapping": "核对字段对应：数据源 {source} 的列「{header}」被{method}为{attribute}（置信度 {confidence}）；"
                           "如有误，在配置的 columns 中写明。",
        "improve_attributes": "数据源 {source}（{entity}）的多数记录只有 {attributes} 可用于匹配，关联不够可靠；"
                              "若原系统有身份证号、信用代码或电话，请加入导出。",
        "improve_fragile": "有 {pairs} 组数据源（含数据源自身）之间只靠个别字段关联，一项录错就无法关联（见「{section}」）。",
        "improve_review": "有 {pairs} 对{entity}记录为可能匹配，待人工核实（见「{section}」）。",
        "improve_quarantine": "{rows} 行被隔离，原因如「{reason}」（数据源 {sources}；逐行原因见「{section}」）。",
        "improve_precision": "数据源 {source} 有 {values} 个{attribute}以数字格式保存在表格中，超过 15 位的数字已失真"
                             "（标记为 precision_lost，不作为有效号码使用）；请让该部门把此列导出为文本。",
        "improve_recall": "{entity}的估计召回率只有 {recall}，约 {missed} 条记录未能关联（见「{section}」）；"
                          "补充身份证号、电话等字段或核实可能匹配可提高召回率。",
        "improve_nothing": "没有发现需要改进的地方：字段对应可靠，数据源字段充分，无待核实的可能匹配，没有行被隔离。",
        # reviewed quality (linkage.review)
        "reviewed_quality": "人工核证的匹配质量",
        "intro_reviewed_quality": "核查人在 linkage review 中对记录对的判定：可能匹配、冲突、松散实体，以及从已合并和未合并的记录对中"
                                  "分层随机抽取的核查样本。样本的判定给出准确率（合并的记录对中确为同一实体的比例）和召回率"
                                  "（比较过或合并的记录对中，确为同一实体者被合并的比例）的估计和 95% 区间（保守的 Korn–Graubard 区间），"
                                  "并据此给出重复记录数和实体数的区间；未经任何分块规则比较的记录对不在其内，见上一节的模型估计。",
        "review_queues": "各核查队列的判定（记录对）",
        "labels_used": "{entity}：本次运行采用人工判定 {same} 对同一、{different} 对不同（其中 {in_em} 对为候选记录对，"
                       "参与了模型估计）；{unresolved} 对的记录不在本次运行中。",
        "reviewed_unknown": "找不到人工标注：{problem}",
        "reviewed_none": "还没有人工判定（标注文件 {path}）。运行 linkage review 输出目录 进行核查，再重新生成报告。",
        "reviewed_labels": "标注文件 {path}：共 {pairs} 对记录有人工判定。",
        "reviewed_text": "{entity}：核查样本 {sample} 对中已判定 {labelled} 对（不确定 {unsure} 对）；准确率 {precision}"
                         "（95% 区间 {p_low}–{p_high}），召回率 {recall}（{r_low}–{r_high}）；据此重复记录约 {redundant}"
                         "（{red_low}–{red_high}），实体约 {entities}（{ent_low}–{ent_high}）。",
        "reviewed_earlier": "该样本抽自较早的一次运行（{drawn}），上面的数字属于那次运行；在本次运行上运行 linkage review 会抽取新样本。",
        "reviewed_partial": "样本尚未全部判定：没有判定的分层在区间中按最坏情况计。",
        # what changed since the last run (linkage.store)
        "changes": "与上次运行相比",
        "intro_changes": "配置了实体库（store）的按月运行：实体编号在各次运行间保持不变；实体合并时保留最早的编号，拆分时最大的部分保留原编号，"
                         "新出现的实体取新编号，消失的实体编号注销且不再使用。下表列出本次的编号变化、各数据源新增/变更/删除的记录，"
                         "以及实体库中历次运行的重复记录数和重复录入工时的走势。",
        "changes_text": "实体库 {path} 的第 {run} 次运行。{entity}：新增实体 {new}，合并 {merged}，拆分 {split}，注销 {retired}；"
                        "记录新增 {added}、变更 {changed}、删除 {removed}、未变 {unchanged}。",
        "changes_incremental": "{entity}：比较了 {compared_pairs} 对候选记录对（至少一方是新增或变更的记录），"
                               "两方都未变的 {carried_pairs} 对沿用实体库中上次的比较结果（增量链接；--full 全部重新比较）。",
        "changes_held": "沿用实体库的模型时，未变的记录对也沿用上次的评分：其中 {held_pairs} 对的词频（如同名人数）"
                        "本月已变，按本月词频会改变 {held_decisions} 对的关联判定，这里保持上次的判定"
                        "（新证据随新增或变更的记录到来；重新训练模型或 --full 时全部按本月词频评分）。",
        "changes_held_queries": "无有效证件号的记录由第二轮按姓名等证据归属；其候选记录对与上次完全相同的 {held_queries} 组"
                                "沿用上次的归属判定，按本月重新估计的参数会改变其中 {held_assignments} 组的归属。",
        "changes_history": "本次实体编号的变化（前 {rows} 条）",
        "changes_held_list": "沿用上次判定、而重新比较和估计会改变的记录对（空概率表示不关联）",
        "changes_records": "各数据源记录的变化",
        "changes_trend": "历次运行的走势",
        "changes_trend_chart": "{entity}：历次运行的重复记录数",
        "changes_run": "第 {run} 次",
        "changes_no_store": "未配置实体库（配置文件中的 store）：每次运行的实体编号各自独立。",
    },
    "en": {
        "title": "Data consolidation report",
        "subtitle": "How often the same people and enterprises are keyed into departmental "
                    "systems, "
                    "and how to consolidate them",
        "generated": "Run: {name}   Version: {version}",
        "not_available": "Not available: {reason}",
        "missing_table": "the run has no table {table}",
        "missing_metric": "metrics.json has no {key}",
        "section_error": "this section could not be built ({error})",
        "no_rows": "no rows",
        "toc": "Contents",
        "figure_header": "Figure",
        "value_header": "Value",
        "sort_hint": "Click a column header to sort",
        "masked_note": "ID numbers and phone numbers are masked.",
        "entity_person": "Person",
        "entity_enterprise": "Enterprise",
        "more_rows": "(first {shown} of {total} rows; the Excel file has them all)",
        "summary": "Summary",
        "systems": "Systems",
        "overlap": "Overlap between systems",
        "combinations": "Combinations of systems (UpSet chart)",
        "field_reentry": "Field re-entry",
        "community": "Re-entry hours by community",
        "consistency": "Consistency",
        "quality": "Data quality",
        "authority": "Authoritative sources (one source per attribute)",
        "schema": "Proposed unified schema",
        "match_quality": "Match quality",
        "uncertainty": "What may be missed, and matches to review",
        "recall_estimate": "Estimated recall per source",
        "possible_matches": "Possible matches ({entity}, for review)",
        "recall_text": "{entity}: estimated recall {recall} (95% band {low}–{high}); about {missed} "
                       "records were not linked to the other records of their {entity}, so there "
                       "are about {entities} distinct entities (band {entities_low}–{entities_high}) "
                       "where the run found {found}.",
        "recall_unknown": "{entity}: no two records share a valid identifier (ID number, credit code) "
                          "to build a silver standard on; recall cannot be estimated.",
        "possible_text": "{entity}: {pairs} pairs have a match probability between {low} and the "
                         "threshold (possible matches): neither merged nor dropped; if all were "
                         "confirmed there would be {entities} entities.",
        "row_accounting": "Row accounting",
        "how_to_read": "How to read this report",
        "systems_grouped": "Grouped by system",
        "consistency_pairs": "Sources that disagree most",
        "authority_ranking": "Ranking of sources",
        "blocking": "Blocking rules",
        "quarantine_reasons": "Quarantine reasons",
        "intro_systems": "Records per source, the entities they describe, within-source duplicates "
                         "(one entity keyed twice in one system) and the share of its entities "
                         "other systems also hold.",
        "intro_overlap": "Entities two systems share: each cell is the share of the row system's "
                         "entities that the column system also holds.",
        "intro_combinations": "Exactly which systems hold each entity; the most common "
                              "combinations come first.",
        "intro_field_reentry": "How often the same field of the same entity was keyed again in "
                               "another system, and the hours per year that costs (seconds per "
                               "field in the last table; set them with burden.seconds_per_field "
                               "in the config).",
        "intro_community": "Re-entry hours by community (or grid): where grid workers carry the "
                           "heaviest load.",
        "intro_consistency": "How often the systems disagree on an entity's value, which systems "
                             "disagree most, and examples.",
        "intro_quality": "Fill rate, validity (passes checks such as ID check digits) and format "
                         "conformance of every source and attribute.",
        "intro_authority": "The recommended source for each attribute (rank 1), by completeness, "
                           "validity and agreement with the majority.",
        "intro_schema": "The proposed unified schema: one shared core table per entity type plus "
                        "one extension table per department, joined by the entity ID.",
        "intro_match_quality": "What the matching rests on: match weights, the threshold, and the "
                               "candidate pairs each blocking rule found.",
        "intro_uncertainty": "Records sharing one valid identifier are one entity (a silver "
                             "standard). With the identifier removed or given one wrong digit, and "
                             "blanked where each source's records without an identifier are blank, "
                             "the share still matched is that kind of record's recall; it gives "
                             "the records missed and a band on the entity counts. Pairs between "
                             "the two thresholds are listed as possible matches for review.",
        "intro_row_accounting": "Every input row is accounted for: a record, or quarantined with a "
                                "reason.",
        "fig_records_in": "Rows in",
        "fig_records": "Records",
        "fig_quarantined": "Quarantined rows",
        "fig_people": "People found",
        "fig_enterprises": "Enterprises found",
        "fig_redundant_records": "Redundant records",
        "fig_hours_per_year": "Re-entry hours per year",
        "fig_hours_saved": "Hours per year saved by collecting once",
        "fig_within_source_duplicates": "Within-source duplicates",
        "fig_multi_system_entities": "Entities held by several systems",
        "headline_records": "{sources} sources brought {records_in} rows in, giving {records} "
                            "records.",
        "headline_entities": "These records describe {people} people and {enterprises} "
                             "enterprises.",
        "headline_redundant": "{redundant} records ({share}) re-key a person or enterprise "
                              "already held.",
        "headline_redundant_estimated": "That counts the links found; with the links the run estimates it "
                                        "missed (see \"What may be missed\"), about {estimated} records are "
                                        "redundant (95% band {low}–{high}).",
        "headline_hours": "At the time it takes to key each field, re-entry costs about {hours} "
                          "hours of grid-worker time a year.",
        "headline_saved": "A unified schema with one authoritative source per attribute would save "
                          "about {hours} hours a year.",
        "chart_overlap": "{entity}: share of the row system's entities also held by the column "
                         "system",
        "chart_upset": "{entity}: entities per combination of systems (one column per combination, "
                       "dots mark its systems)",
        "chart_reentry": "Re-entries per field (times an entity's field was keyed after the first)",
        "chart_reentry_hours": "Re-entry hours per year by field",
        "chart_community": "Communities with the most re-entry hours per year",
        "chart_weights": "{entity}: match weights of candidate pairs (the line is the threshold)",
        "chart_rules": "{entity}: new candidate pairs per blocking rule",
        "threshold_line": "threshold",
        "weights_below": "; weights below {weight} are counted in the first bar",
        "weights_above": "; weights above {weight} are counted in the last bar",
        "entities_axis": "entities",
        "pairs_axis": "pairs",
        "schema_tables": "Proposed tables",
        "schema_columns": "Proposed columns",
        "collect_once": "Fields departments can stop re-keying",
        "collect_once_totals": "What collecting once saves",
        "crosswalk_text": "{source_columns} source columns: {mapped} map to a canonical attribute, "
                          "{unmapped} are department-specific; {to_core} go to the shared core "
                          "table, {to_extension} to department extensions, {dropped} were empty "
                          "in the export and are not carried over.",
        "consistency_examples": "Examples of disagreement (masked)",
        "reentry_by_system": "Re-entry by system",
        "chart_reentry_system": "Re-entry hours per year by system",
        "seconds_table": "Seconds to key one field",
        "crosswalk": "Source column crosswalk",
        "threshold_text": "{entity}: pairs with match probability ≥ {threshold} link (match weight "
                          "≥ {weight}); {candidates} candidate pairs, {linked} linked, "
                          "{iterations} EM iterations.",
        "accounting_ok": "Every source balances: rows in = records + quarantined; no row was lost.",
        "accounting_bad": "These sources do not balance: {sources}",
        "how_to_read_body": (
            "<p>An <b>entity</b> is a group of records matched as one person or one enterprise. "
            "<b>Redundant records</b> = records − entities: how many times an entity was keyed "
            "again, across systems or within one.</p>"
            "<p><b>Field re-entry</b>: how many times an entity's field was keyed beyond the first "
            "system that collects it; times the seconds per field and each system's updates per "
            "year, this gives hours per year.</p>"
            "<p><b>Overlap</b>: the share of the row system's entities also held by the column "
            "system. <b>UpSet chart</b>: each column is one combination of systems; the bar is the "
            "number of entities held by exactly those systems.</p>"
            "<p><b>Consistency</b>: the share of entities whose values of one attribute disagree "
            "between systems. <b>Authoritative source</b>: sources ranked by completeness, "
            "validity and agreement with the majority; the first is recommended.</p>"
            "<p><b>Match weight</b>: the Fellegi–Sunter evidence (log base 2) that two records are "
            "one entity; pairs above the threshold are merged.</p>"
            "<p>ID numbers and phones are masked in this report; the full data stays in the run's "
            "linkage.duckdb for its owner. Every figure traces back to rows through source and "
            "source_row (the data row of the original file).</p>"
        ),
        # the model section and the list of improvements
        "model": "Matching model",
        "intro_model": "Each comparison's levels: m (the chance a pair of one entity's records falls in "
                       "the level), u (the chance for a pair of different entities) and the match "
                       "weight log2(m/u) — positive for the same entity, negative against; the "
                       "candidate pairs each blocking rule found and why it was chosen; and the "
                       "pairs of sources one typing error would separate.",
        "model_text": "{entity}: prior chance that two random records are one {entity} {prior}; "
                      "{iterations} EM iterations, {converged}.",
        "twins_text": "{entity}: the name's u was measured on {pairs} pairs of known twins (two "
                      "different valid ID numbers, born the same day, the same phone or flat); "
                      "a pair born the same day in one household has its name weighed against "
                      "that u (\"u (between twins)\" below), so similar names are not read as "
                      "one person's typo.",
        "converged": "converged",
        "not_converged": "not converged (treat the results with care)",
        "chart_model": "{entity}: match weight of each comparison level (blue for the same entity, "
                       "red against)",
        "model_params": "Comparison levels and parameters (m, u, match weight)",
        "fragile_text": "{pairs} pairs of sources (a source with itself included) are linked "
                        "through few attributes: one error in one of them and the records of one "
                        "entity may not link (table below).",
        "fragile_pairs": "Pairs of sources one error separates",
        "coverage_ok": "Between any two sources, a rule still finds the pairs when one shared "
                       "attribute is mistyped.",
        "improve": "How to improve this run",
        "intro_improve": "From this run's results, these are worth checking or adding; change the "
                         "config or the exports and run again.",
        "improve_mapping": "Check a mapping: column “{header}” of source {source} was mapped to "
                           "{attribute} ({method}, confidence {confidence}); if wrong, name it in "
                           "the config's columns.",
        "improve_attributes": "Most records of source {source} ({entity}) carry only {attributes} "
                              "to link on, which links them poorly; add ID numbers, credit codes "
                              "or phones to the export if the system has them.",
        "improve_fragile": "{pairs} pairs of sources (a source with itself included) are linked "
                           "through few attributes: one error in one of them separates their "
                           "records (see “{section}”).",
        "improve_review": "{pairs} possible matches of {entity} records wait for review (see "
                          "“{section}”).",
        "improve_quarantine": "{rows} rows quarantined for reasons such as “{reason}” (sources "
                              "{sources}; each row's reason in “{section}”).",
        "improve_precision": "Source {source} stores {values} {attribute} values as spreadsheet "
                             "numbers, which keep only 15 digits (flagged precision_lost and not "
                             "used as valid numbers): ask the department to export that column "
                             "as text.",
        "improve_recall": "The estimated recall of {entity} records is only {recall}; about "
                          "{missed} records were not linked (see “{section}”): more identifying "
                          "attributes or reviewing possible matches would raise it.",
        "improve_nothing": "Nothing to improve found: mappings are sure, every source carries "
                           "enough to link on, no possible match waits for review, no row was "
                           "quarantined.",
        "reviewed_quality": "Reviewed quality",
        "intro_reviewed_quality": "What reviewers decided in linkage review: possible matches, conflicts, loose "
                                  "entities, and a stratified random audit sample of linked and unlinked pairs. "
                                  "The sample gives precision (the share of linked pairs that are one entity) "
                                  "and recall (the share of truly-same pairs, among those compared or linked, "
                                  "that were linked) with 95% intervals (conservative Korn–Graubard intervals), "
                                  "and the band they put on redundant records and entities; pairs no blocking "
                                  "rule compared are outside it: see the model's estimate above.",
        "review_queues": "Decisions per review queue (pairs)",
        "labels_used": "{entity}: this run honoured {same} pairs decided same and {different} decided "
                       "different ({in_em} of them candidate pairs, used in estimating the model); "
                       "{unresolved} name records this run does not have.",
        "reviewed_unknown": "No review labels found: {problem}",
        "reviewed_none": "No pair has been reviewed yet (labels file {path}). Run linkage review OUTPUT_DIR, "
                         "then render the report again.",
        "reviewed_labels": "Labels file {path}: {pairs} pairs decided by reviewers.",
        "reviewed_text": "{entity}: {labelled} of the {sample} sampled pairs decided ({unsure} unsure); "
                         "precision {precision} (95% interval {p_low}–{p_high}), recall {recall} "
                         "({r_low}–{r_high}); so about {redundant} redundant records ({red_low}–{red_high}) "
                         "and {entities} entities ({ent_low}–{ent_high}).",
        "reviewed_earlier": "The sample was drawn from an earlier run ({drawn}) and these figures are that "
                            "run's; linkage review on this run draws a new sample.",
        "reviewed_partial": "The sample is not fully decided yet: strata without a decision count at their "
                            "worst in the interval.",
        "changes": "What changed since the last run",
        "intro_changes": "Monthly runs with an entity store (`store:` in the config): an entity keeps its id from "
                         "run to run; when entities merge the oldest id survives, when one splits its largest "
                         "part keeps the id, new entities get new ids, and ids of entities that are gone are "
                         "retired and never given again. Below: this run's id changes, the records added, "
                         "changed and removed per source, and the trend of redundant records and re-entry "
                         "hours over the runs in the store.",
        "changes_text": "Run {run} of the entity store {path}. {entity}: {new} new, {merged} merged, {split} split, "
                        "{retired} retired entities; records {added} added, {changed} changed, {removed} "
                        "removed, {unchanged} unchanged.",
        "changes_incremental": "{entity}: {compared_pairs} candidate pairs compared (a new or changed record "
                               "on either side); {carried_pairs} pairs of two unchanged records carried from "
                               "the store's last run (incremental linking; --full compares them all again).",
        "changes_held": "With the store's model reused, unchanged pairs keep their scores too: the term "
                        "frequencies (how many share a name, …) of {held_pairs} of them moved this month, "
                        "which would reverse the link decision of {held_decisions}; it is kept as it was "
                        "(new evidence comes with new or changed records; a retrained model or --full "
                        "scores every pair with this month's frequencies).",
        "changes_held_queries": "Records without a valid identifier are placed by the second pass, on their "
                                "names and other evidence; {held_queries} groups of them whose candidate pairs "
                                "are exactly last run's keep last run's placement, which this month's "
                                "re-estimated parameters would change for {held_assignments}.",
        "changes_history": "This run's id changes (first {rows})",
        "changes_held_list": "Decisions kept from the last run that comparing and weighing afresh "
                             "would change (an empty probability: not linked by this pair)",
        "changes_records": "Records changed per source",
        "changes_trend": "Trend over the runs",
        "changes_trend_chart": "{entity}: redundant records per run",
        "changes_run": "run {run}",
        "changes_no_store": "No entity store configured (`store:` in the config): each run's entity ids stand alone.",
    },
}

# column name -> (zh, en); percent columns are listed in PERCENT_COLUMNS
COLUMNS: dict[str, tuple[str, str]] = {
    "source": ("数据源", "Source"),
    "source_l": ("数据源甲", "Source A"),
    "source_row_l": ("行号甲", "Row A"),
    "source_row_r": ("行号乙", "Row B"),
    "name_l": ("姓名/名称甲", "Name A"),
    "name_r": ("姓名/名称乙", "Name B"),
    "evidence": ("比对依据", "Evidence"),
    "match_probability": ("匹配概率", "Match probability"),
    "linked": ("已关联", "Linked"),
    "simulated": ("模拟数", "Simulated"),
    "recovery_rate": ("召回率", "Recall"),
    "missed_records": ("估计漏掉", "Est. missed"),
    "missed_low": ("漏掉下限", "Missed (low)"),
    "missed_high": ("漏掉上限", "Missed (high)"),
    "source_r": ("数据源乙", "Source B"),
    "system": ("系统", "System"),
    "system_l": ("系统甲", "System A"),
    "system_r": ("系统乙", "System B"),
    "systems": ("系统组合", "Systems"),
    "n_systems": ("系统数", "Systems"),
    "title": ("系统名称", "System name"),
    "entity_type": ("实体类型", "Entity type"),
    "entity_id": ("实体编号", "Entity ID"),
    "attribute": ("字段", "Attribute"),
    "attribute_label": ("字段名称", "Attribute"),
    "path": ("文件", "File"),
    "format": ("格式", "Format"),
    "encoding": ("编码", "Encoding"),
    "header_row": ("表头行", "Header row"),
    "rows_in": ("输入行数", "Rows in"),
    "records": ("记录数", "Records"),
    "quarantined": ("隔离行数", "Quarantined"),
    "balanced": ("是否平衡", "Balanced"),
    "entities": ("实体数", "Entities"),
    "distinct_entities": ("实体数", "Distinct entities"),
    "within_duplicates": ("系统内重复", "Within-source duplicates"),
    "within_source_duplicates": ("系统内重复", "Within-source duplicates"),
    "duplicates": ("重复记录", "Duplicates"),
    "redundant_records": ("重复记录", "Redundant records"),
    "shared_entities": ("共有实体", "Shared entities"),
    "shared": ("共有实体", "Shared entities"),
    "shared_elsewhere": ("他处也有的实体", "Entities held elsewhere"),
    "share_elsewhere": ("他处也有的比例", "Share held elsewhere"),
    "share_shared": ("他处也有的比例", "Share held elsewhere"),
    "overlap_l": ("占甲的比例", "Share of A"),
    "overlap_r": ("占乙的比例", "Share of B"),
    "share_l": ("占甲的比例", "Share of A"),
    "share_r": ("占乙的比例", "Share of B"),
    "share": ("比例", "Share"),
    "values_keyed": ("录入次数", "Values keyed"),
    "reentries": ("重复录入次数", "Re-entries"),
    "seconds_per_field": ("每字段秒数", "Seconds per field"),
    "updates_per_year": ("每年更新次数", "Updates per year"),
    "hours": ("工时（小时）", "Hours"),
    "hours_per_year": ("工时（小时/年）", "Hours per year"),
    "hours_saved": ("可节省工时（小时/年）", "Hours saved per year"),
    "community": ("社区", "Community"),
    "grid": ("网格", "Grid"),
    "entities_compared": ("比较的实体数", "Entities compared"),
    "compared": ("比较的实体数", "Entities compared"),
    "disagreeing": ("不一致实体数", "Disagreeing"),
    "disagree": ("不一致实体数", "Disagreeing"),
    "disagreement_rate": ("不一致率", "Disagreement rate"),
    "disagree_share": ("不一致率", "Disagreement rate"),
    "example": ("示例", "Example"),
    "examples": ("示例", "Examples"),
    "fill_rate": ("填充率", "Fill rate"),
    "validity_rate": ("有效率", "Validity rate"),
    "valid_rate": ("有效率", "Validity rate"),
    "conformance_rate": ("格式符合率", "Format conformance"),
    "format_conformance": ("格式符合率", "Format conformance"),
    "filled": ("已填数", "Filled"),
    "valid": ("有效数", "Valid"),
    "completeness": ("完整率", "Completeness"),
    "validity": ("有效率", "Validity"),
    "agreement": ("与多数一致率", "Agreement"),
    "score": ("综合得分", "Score"),
    "rank": ("排名", "Rank"),
    "table_name": ("数据表", "Table"),
    "table": ("数据表", "Table"),
    "column": ("字段", "Column"),
    "column_name": ("字段", "Column"),
    "data_type": ("类型", "Type"),
    "type": ("类型", "Type"),
    "nullable": ("可为空", "Nullable"),
    "standard": ("标准", "Standard"),
    "description": ("说明", "Description"),
    "comment": ("说明", "Comment"),
    "rationale": ("理由", "Rationale"),
    "kind": ("类别", "Kind"),
    "run": ("运行", "Run"),
    "old_id": ("原编号", "Old ID"),
    "held": ("沿用的判定", "Held decision"),
    "kept_probability": ("沿用的概率", "Kept probability"),
    "fresh_probability": ("重新计算的概率", "Fresh probability"),
    "entity_id_l": ("实体编号（左）", "Entity ID (left)"),
    "entity_id_r": ("实体编号（右）", "Entity ID (right)"),
    "new_id": ("新编号", "New ID"),
    "new": ("新增实体", "New"),
    "merged": ("合并", "Merged"),
    "split": ("拆分", "Split"),
    "retired": ("注销", "Retired"),
    "added": ("新增记录", "Added"),
    "changed": ("变更记录", "Changed"),
    "removed": ("删除记录", "Removed"),
    "unchanged": ("未变记录", "Unchanged"),
    "added_records": ("新增记录", "Added"),
    "changed_records": ("变更记录", "Changed"),
    "removed_records": ("删除记录", "Removed"),
    "unchanged_records": ("未变记录", "Unchanged"),
    "header": ("源字段", "Source column"),
    "source_column": ("源字段", "Source column"),
    "canonical_attribute": ("标准字段", "Canonical attribute"),
    "transformation": ("转换", "Transformation"),
    "target": ("目标字段", "Target"),
    "method": ("对应方式", "Method"),
    "confidence": ("置信度", "Confidence"),
    "rule": ("分块规则", "Blocking rule"),
    "rule_order": ("顺序", "Order"),
    "pairs": ("新增记录对", "New pairs"),
    "candidate_pairs": ("单独产生的记录对", "Pairs on its own"),
    "linked_pairs": ("判定匹配的记录对", "Linked pairs"),
    "threshold": ("阈值", "Threshold"),
    "reason": ("原因", "Reason"),
    "rows": ("行数", "Rows"),
    "first_rows": ("前几行（数据行号）", "First rows (data row numbers)"),
    "shared_share": ("他处也有的比例", "Share held elsewhere"),
    "share_of_l": ("占甲的比例", "Share of A"),
    "share_of_r": ("占乙的比例", "Share of B"),
    "entities_l": ("甲的实体数", "Entities in A"),
    "entities_r": ("乙的实体数", "Entities in B"),
    "members": ("系统组合", "Combination"),
    "degree": ("系统数", "Systems"),
    "level": ("层级", "Level"),
    "area": ("区域", "Area"),
    "seconds": ("耗时（秒）", "Seconds"),
    "label": ("名称", "Label"),
    "position": ("序号", "Position"),
    "placement": ("位置", "Placement"),
    "sql_type": ("类型", "Type"),
    "check_sql": ("校验", "Check"),
    "sources": ("来源", "Sources"),
    "target_table": ("目标表", "Target table"),
    "target_column": ("目标字段", "Target column"),
    "column_index": ("列号", "Column"),
    "columns": ("字段数", "Columns"),
    "entities_disagreeing": ("不一致实体数", "Disagreeing"),
    "flagged": ("有标记数", "Flagged"),
    "conforming": ("格式符合数", "Conforming"),
    "format_rate": ("格式符合率", "Format conformance"),
    "agreement_entities": ("可比较实体数", "Entities compared"),
    "recommended": ("推荐", "Recommended"),
    "authoritative_source": ("权威来源", "Authoritative source"),
    "stop_keying": ("可停止录入的数据源", "Sources that can stop keying"),
    "action": ("建议", "Action"),
    "saved": ("可节省", "Saved"),
    "core_attributes": ("核心字段数", "Core attributes"),
    "fields_stop_keying": ("可停止录入的字段", "Fields that can stop"),
    "reentries_saved": ("减少的重复录入", "Re-entries saved"),
    "hours_per_year_saved": ("可节省工时（小时/年）", "Hours saved per year"),
    "hours_per_year_remaining": ("扩展字段工时（小时/年）", "Extension hours per year"),
    "attribute_zh": ("字段", "Attribute"),
    "values": ("各系统取值", "Values by source"),
    "name_pinyin": ("姓名拼音", "Name pinyin"),
    "surname": ("姓", "Surname"),
    "address_key": ("地址楼栋", "Address building key"),
    "address_road": ("地址路名", "Address road"),
    "name_core": ("字号", "Core name"),
    "org_key": ("组织机构代码", "Organisation code"),
    "reg_key": ("工商注册号", "Registration number"),
    # the model section
    "comparison": ("比较项", "Comparison"),
    "registration": ("登记代码", "Registration codes"),
    "industry": ("名称中的行业", "Industry in the name"),
    "m": ("m（同一实体）", "m (same entity)"),
    "u": ("u（不同实体）", "u (different entities)"),
    "u_twins": ("u（双胞胎之间）", "u (between twins)"),
    "bayes_factor": ("贝叶斯因子", "Bayes factor"),
    "match_weight": ("匹配权重", "Match weight"),
    "rules": ("可用的分块规则", "Usable rules"),
    "fragile": ("一项录错即断开的字段", "Attributes one error in which separates"),
    # derived blocking keys (linkage.link.keys)
    "__area6": ("地区码", "area code"),
    "__birth8": ("出生日期段", "birth date"),
    "__seq3": ("顺序码", "sequence"),
    "household_address_key": ("户籍地址楼栋", "Household address building key"),
    "employer_core": ("工作单位字号", "Employer core name"),
    "legal_rep_pinyin": ("法定代表人拼音", "Legal representative pinyin"),
    "queue": ("核查队列", "Review queue"),
    "same": ("同一实体", "Same"),
    "different": ("不同实体", "Different"),
    "unsure": ("不确定", "Unsure"),
    "labelled": ("已判定", "Decided"),
    "sample": ("样本记录对", "Sampled pairs"),
    "precision": ("准确率", "Precision"),
    "precision_low": ("准确率下限", "Precision (low)"),
    "precision_high": ("准确率上限", "Precision (high)"),
    "recall": ("召回率", "Recall"),
    "recall_low": ("召回率下限", "Recall (low)"),
    "recall_high": ("召回率上限", "Recall (high)"),
    "redundant_low": ("重复记录下限", "Redundant (low)"),
    "redundant_high": ("重复记录上限", "Redundant (high)"),
    "distinct_low": ("实体数下限", "Entities (low)"),
    "distinct_high": ("实体数上限", "Entities (high)"),
}

# cell values of the columns in VALUE_COLUMNS -> (zh, en)
VALUES: dict[str, tuple[str, str]] = {
    "key": ("主键", "key"),
    # kinds of entity id change (linkage.store)
    "new": ("新增", "new"),
    "merged": ("合并", "merged"),
    "split": ("拆分", "split"),
    "retired": ("注销", "retired"),
    "missing": ("缺少标识", "identifier missing"),
    "invalid": ("标识有误", "identifier invalid"),
    "core": ("共享核心表", "shared core"),
    "extension": ("部门扩展表", "department extension"),
    "config": ("配置指定", "config"),
    "synonym": ("同义表头", "header synonym"),
    "sniffed": ("按内容识别", "sniffed from values"),
    "unmapped": ("未对应", "unmapped"),
    "community": ("社区", "community"),
    "grid": ("网格", "grid"),
    "source": ("数据源", "source"),
    "system": ("系统", "system"),
    "collect": ("采集", "collect"),
    "stop_keying": ("停止录入", "stop keying"),
    "keep": ("保留", "keep"),
    # why a blocking rule was chosen (linkage.link.plan)
    "identifier": ("唯一标识", "identifier"),
    "name with a supporting attribute": ("姓名/名称加一项辅助字段", "name with a supporting attribute"),
    "name with one segment of the ID number (survives one wrong digit)": (
        "姓名加身份证号的一段（身份证号错一位仍能找到）",
        "name with one segment of the ID number (survives one wrong digit)"),
    "a personal with a shared attribute (survives a mistyped name)": (
        "个人字段加共有字段（姓名录错仍能找到）",
        "a personal with a shared attribute (survives a mistyped name)"),
    "a rare name alone (sparse records)": ("罕见姓名/名称单独分块（字段少的记录）",
                                           "a rare name alone (sparse records)"),
    "configured": ("配置指定", "configured"),
    "possible": ("可能匹配", "possible matches"),
    "conflicts": ("冲突", "conflicts"),
    "clusters": ("大而松散的实体", "large, loose entities"),
    "audit": ("抽样核查", "audit sample"),
    "cluster": ("实体", "entity"),
    "undo": ("撤销", "undo"),
    "score": ("沿用的评分", "held score"),
    "placement": ("沿用的第二轮归属", "held placement"),
}
VALUE_COLUMNS = {"placement", "method", "level", "action", "kind", "queue", "held"}

PERCENT_COLUMNS = {
    "share_elsewhere", "share_shared", "overlap_l", "overlap_r", "share_l", "share_r", "share",
    "disagreement_rate", "disagree_share", "fill_rate", "validity_rate", "valid_rate",
    "conformance_rate", "format_conformance", "completeness", "validity", "agreement",
    "confidence", "shared_share", "share_of_l", "share_of_r", "recovery_rate",
    "precision", "precision_low", "precision_high", "recall", "recall_low", "recall_high",
}


def text(language: str, key: str, /, **values) -> str:
    """One UI string, formatted with `values`."""
    return UI[language][key].format(**values) if values else UI[language][key]


def column_label(name: str, language: str) -> str:
    """The header of a table column: known column, else a canonical attribute, else the name."""
    if name in COLUMNS:
        return COLUMNS[name][LANGUAGES.index(language)]
    for entity in ATTRIBUTES.values():
        if name in entity:
            return entity[name].label_zh if language == "zh" else entity[name].label_en
    return name


def attribute_label(name: str, language: str, entity_type: str | None = None) -> str:
    """The label of a canonical attribute value (e.g. the `attribute` column's cells)."""
    entities = [entity_type] if entity_type in ATTRIBUTES else list(ATTRIBUTES)
    for entity in entities:
        if name in ATTRIBUTES[entity]:
            attr = ATTRIBUTES[entity][name]
            return attr.label_zh if language == "zh" else attr.label_en
    return name


def entity_label(entity_type: str, language: str) -> str:
    return UI[language].get(f"entity_{entity_type}", entity_type)


def value_label(value: str, language: str) -> str:
    """The label of a coded cell value (placement, mapping method, level, action)."""
    return VALUES[value][LANGUAGES.index(language)] if value in VALUES else value


def rule_label(rule: str, language: str) -> str:
    """A blocking rule ("name_pinyin + birth_date", "name_pinyin + id_number__area6",
    "name_pinyin (≤8)") with its columns labelled."""
    return " + ".join(_key_label(part.strip(), language) for part in rule.split("+"))


def _key_label(key: str, language: str) -> str:
    """A blocking key labelled: a segment of a column (id_number__area6) and a block-size
    limit ("(≤8)") kept."""
    key, limit = (key.split(" ", 1) + [""])[:2]
    column, _, segment = key.partition("__")
    label = column_label(column, language)
    if segment:
        label += "·" + column_label(f"__{segment}", language)
    return f"{label} {limit}".strip()
