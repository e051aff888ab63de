"""The /stats chart (and `qabot report --png`): questions per day, share refused, votes.

matplotlib's object-oriented API with its Agg canvas: no pyplot, so no global figure state,
and a chart can be drawn on a worker thread while the bot answers.
"""

from __future__ import annotations

import io

from bot.ops.reports import UsageReport

ANSWERED = "#4C78A8"
REFUSED = "#F58518"
SHARE = "#B22222"
UP = "#54A24B"
DOWN = "#E45756"


def usage_chart(report: UsageReport) -> bytes:
    """A PNG of the report's days: questions (answered and refused) with the share refused
    above, votes up and down below."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    questions, votes = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    positions = list(range(len(report.days)))
    answered = [day.questions - day.refused for day in report.days]
    refused = [day.refused for day in report.days]

    questions.bar(positions, answered, color=ANSWERED, label="answered")
    questions.bar(positions, refused, bottom=answered, color=REFUSED, label="refused")
    questions.set_ylabel("questions")
    questions.set_title(f"qabot, last {len(report.days)} days (UTC)")
    share_axis = questions.twinx()
    shares = [100 * day.refused / day.questions if day.questions else None for day in report.days]
    shown = [(x, share) for x, share in zip(positions, shares, strict=True) if share is not None]
    share_axis.plot(
        [x for x, _ in shown], [share for _, share in shown], "o-", color=SHARE, label="% refused"
    )
    share_axis.set_ylim(0, 105)
    share_axis.set_ylabel("% refused")
    handles = questions.get_legend_handles_labels()
    share_handles = share_axis.get_legend_handles_labels()
    questions.legend(handles[0] + share_handles[0], handles[1] + share_handles[1], loc="upper left")

    votes.bar(positions, [day.thumbs_up for day in report.days], color=UP, label="votes up")
    votes.bar(positions, [-day.thumbs_down for day in report.days], color=DOWN, label="votes down")
    votes.axhline(0, color="black", linewidth=0.8)
    votes.set_ylabel("votes")
    votes.legend(loc="upper left")
    for counts in (questions, votes):
        counts.yaxis.set_major_locator(MaxNLocator(integer=True))
    votes.set_xticks(positions, [f"{day.day:%d %b}" for day in report.days], rotation=45)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
