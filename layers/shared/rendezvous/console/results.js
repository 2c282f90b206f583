// The results view: how the texts do (GET /v1/stats: headline tiles, texts per day, rates by
// kind of text and by reminder cadence), a CSV of the same figures (GET /v1/stats/export),
// and for managers the template experiments (list, start, report, stop with a winner) and
// the tune-out banner on every view (GET /v1/tune-out). Charts are SVG built node by node:
// no HTML strings, no inline style (the page's policy allows neither), colours from classes.
(() => {
  Object.assign(I18N.en, {
    "nav.results": "Results",
    "results.heading": "Results",
    "results.period": "Period",
    "results.days.one": "{count} day",
    "results.days.other": "{count} days",
    "results.export": "Download CSV",
    "results.exported": "The figures of the last {days} days are downloaded as {file}.",
    "results.loading": "Loading the figures…",
    "results.updated": "Figures of the last {days} days, updated {time}.",
    "results.error": "Could not load the figures: {message}",
    "results.none": "–",
    "results.noData": "no data yet",
    "results.tiles": "Headline figures",
    "results.tile.confirmation": "Confirmed",
    "results.tile.confirmation.note": "{count} of {total} appointments",
    "results.tile.noShow": "No-shows",
    "results.tile.noShow.note": "{count} of {total} with an outcome",
    "results.tile.delivery": "Delivered",
    "results.tile.delivery.note": "{count} of {total} texts sent",
    "results.tile.optOuts": "Opt-outs per 1,000 texts",
    "results.tile.optOuts.note": "{count} opt-outs",
    "results.tile.cost": "SMS cost",
    "results.tile.cost.note": "{count} segments",
    "results.tile.cancelledAhead": "Cancelled in time to refill",
    "results.tile.cancelledAhead.note": "{count} of {total} appointments",
    "results.chart.daily": "Texts per day",
    "results.chart.daily.desc": "Texts sent and delivered each day of the period; the busiest day had {max}.",
    "results.chart.daily.bar": "{day}: {sent} sent, {delivered} delivered",
    "results.chart.byKind": "By kind of text",
    "results.chart.byKind.desc": "Confirmation rate and reply rate of each kind of text.",
    "results.chart.byCadence": "By reminder cadence",
    "results.chart.byCadence.desc": "No-show rate and confirmation rate of appointments by the reminders they were planned with.",
    "results.chart.byVariant": "By template variant",
    "results.chart.empty": "Nothing in this period yet.",
    "results.chart.table": "Show the figures as a table",
    "results.series.sent": "Sent",
    "results.series.delivered": "Delivered",
    "results.series.confirmationRate": "Confirmation rate",
    "results.series.replyRate": "Reply rate",
    "results.series.noShowRate": "No-show rate",
    "results.col.day": "Day",
    "results.col.kind": "Kind of text",
    "results.col.cadence": "Reminders",
    "results.col.variant": "Variant",
    "results.col.sent": "Sent",
    "results.col.delivered": "Delivered",
    "results.col.deliveryRate": "Delivery rate",
    "results.col.replies": "Replies",
    "results.col.replyRate": "Reply rate",
    "results.col.confirmations": "Confirmations",
    "results.col.confirmationRate": "Confirmation rate",
    "results.col.optOuts": "Opt-outs",
    "results.col.optOutsPer1000": "Opt-outs per 1,000",
    "results.col.segments": "Segments",
    "results.col.cost": "Cost",
    "results.col.appointments": "Appointments",
    "results.col.confirmed": "Confirmed",
    "results.col.cancelledAhead": "Cancelled in time",
    "results.col.withOutcome": "With an outcome",
    "results.col.noShows": "No-shows",
    "results.col.noShowRate": "No-show rate",
    "results.col.texts": "Texts",
    "results.cadence.none": "No reminders",
    "results.cadence.unknown": "Not recorded",
    "results.cadence.list": "{list} before",
    "results.exp.heading": "Template experiments",
    "results.exp.intro": "Try two to four wordings of one text side by side: each appointment gets one of them by a stable draw, and the report says when a difference is meaningful.",
    "results.exp.none": "No experiment yet.",
    "results.exp.caption": "Experiments, newest first",
    "results.exp.col.name": "Experiment",
    "results.exp.col.text": "Text",
    "results.exp.col.state": "State",
    "results.exp.col.started": "Started",
    "results.exp.running": "Running",
    "results.exp.stopped": "Stopped",
    "results.exp.stoppedWinner": "Stopped: {winner} is the default",
    "results.exp.show": "Report",
    "results.exp.showFor": "Report of {id}",
    "results.exp.kindLocale": "{kind}, {language}",
    "results.exp.report": "Report: {id}",
    "results.exp.variants": "Variants",
    "results.exp.control": "{name} (control)",
    "results.exp.arms": "Arms of {id}",
    "results.exp.verdict.not_yet_meaningful": "Not yet meaningful: the smallest arm has {smallest} of the {min} appointments with an outcome each arm needs.",
    "results.exp.verdict.not_yet_meaningful.short": "Not yet meaningful",
    "results.exp.verdict.winner": "{leader} has fewer no-shows.",
    "results.exp.verdict.no_meaningful_difference": "No meaningful difference between the variants.",
    "results.exp.confidence": "Intervals at {confidence} confidence.",
    "results.exp.diff": "Difference from {control}",
    "results.exp.diff.desc": "For each variant, how far its rate lies from the control's, with its interval: an interval that does not cross zero is a meaningful difference.",
    "results.exp.diff.line": "{variant}, {metric}: {difference} points ({low} to {high})",
    "results.exp.meaningful": "meaningful",
    "results.exp.points": "{value} pts",
    "results.exp.stop": "Stop the experiment",
    "results.exp.stopQuestion": "Stop {id}?",
    "results.exp.stopExplain": "Texts go back to one wording for everyone. Choose the wording that stays:",
    "results.exp.keepCurrent": "The current text (no winner)",
    "results.exp.stopCaution": "The results do not yet show this wording is better.",
    "results.exp.better.no_show_rate": "← lower is better",
    "results.exp.better.confirmation_rate": "higher is better →",
    "results.lang.en": "English",
    "results.lang.fr": "French",
    "results.lang.es": "Spanish",
    "results.exp.makeDefault": "{name}: make it the default text",
    "results.exp.keepRunning": "Keep it running",
    "results.exp.confirmStop": "Yes, stop it",
    "results.exp.stoppedDone": "{id} is stopped.",
    "results.exp.stoppedDoneWinner": "{id} is stopped; {winner} is now the default text.",
    "results.exp.new": "Start an experiment",
    "results.exp.id": "Name (lower-case letters, digits and -)",
    "results.exp.kind": "Which text",
    "results.exp.locale": "Language",
    "results.exp.description": "What it tries (optional)",
    "results.exp.variant": "Variant {n}",
    "results.exp.variantControl": "Variant 1 (the control: your current text)",
    "results.exp.variantName": "Name",
    "results.exp.variantTemplate": "Text",
    "results.exp.addVariant": "Add a variant",
    "results.exp.removeVariant": "Remove variant {n}",
    "results.exp.start": "Start the experiment",
    "results.exp.started": "{id} is running.",
    "results.exp.again": "{id} was already running with these variants.",
    "results.exp.missing": "Give the experiment a name and every variant a name and a text.",
    "results.exp.badName": "Lower-case letters, digits and -, starting with a letter or digit.",
    "results.exp.sameNames": "Each variant needs its own name.",
    "results.exp.conflict": "Not started: {message}",
    "results.exp.invalid": "Not started: see the fields marked below.",
    "results.exp.field": "Check this: {problem}",
    "results.exp.error": "Not done: {message}",
    "results.tune.heading": "Customers are opting out",
    "results.tune.threshold": "{rate} opt-outs per 1,000 texts over the last 7 days ({count} of {texts} texts), above your limit of {limit}.",
    "results.tune.doubled": "{rate} opt-outs per 1,000 texts over the last 7 days ({count} of {texts} texts), more than twice the {prior} of the 4 weeks before.",
    "results.tune.drawn": "The texts that drew them:",
    "results.tune.drawnLine": "{kind}: {count}",
    "results.tune.drawnVariant": "{kind} ({variant}): {count}",
    "results.tune.optOuts.one": "{count} opt-out",
    "results.tune.optOuts.other": "{count} opt-outs",
    "results.tune.advice": "Shorter, fewer or kinder texts usually help; an experiment tells which.",
    "results.tune.open": "See the results",
    "results.tune.hide": "Hide until it changes"
  });

  Object.assign(I18N.fr, {
    "nav.results": "Résultats",
    "results.heading": "Résultats",
    "results.period": "Période",
    "results.days.one": "{count} jour",
    "results.days.other": "{count} jours",
    "results.export": "Télécharger le CSV",
    "results.exported": "Les chiffres des {days} derniers jours sont téléchargés dans {file}.",
    "results.loading": "Chargement des chiffres…",
    "results.updated": "Chiffres des {days} derniers jours, mis à jour à {time}.",
    "results.error": "Impossible de charger les chiffres : {message}",
    "results.none": "–",
    "results.noData": "pas encore de données",
    "results.tiles": "Chiffres clés",
    "results.tile.confirmation": "Confirmés",
    "results.tile.confirmation.note": "{count} rendez-vous sur {total}",
    "results.tile.noShow": "Absences",
    "results.tile.noShow.note": "{count} sur {total} avec un résultat",
    "results.tile.delivery": "Distribués",
    "results.tile.delivery.note": "{count} SMS sur {total} envoyés",
    "results.tile.optOuts": "Désinscriptions pour 1 000 SMS",
    "results.tile.optOuts.note": "{count} désinscriptions",
    "results.tile.cost": "Coût des SMS",
    "results.tile.cost.note": "{count} segments",
    "results.tile.cancelledAhead": "Annulés à temps pour être repris",
    "results.tile.cancelledAhead.note": "{count} rendez-vous sur {total}",
    "results.chart.daily": "SMS par jour",
    "results.chart.daily.desc": "SMS envoyés et distribués chaque jour de la période ; le jour le plus chargé en compte {max}.",
    "results.chart.daily.bar": "{day} : {sent} envoyés, {delivered} distribués",
    "results.chart.byKind": "Par type de SMS",
    "results.chart.byKind.desc": "Taux de confirmation et taux de réponse de chaque type de SMS.",
    "results.chart.byCadence": "Par rythme des rappels",
    "results.chart.byCadence.desc": "Taux d’absence et taux de confirmation des rendez-vous selon les rappels prévus.",
    "results.chart.byVariant": "Par variante de texte",
    "results.chart.empty": "Rien sur cette période pour l’instant.",
    "results.chart.table": "Voir les chiffres sous forme de tableau",
    "results.series.sent": "Envoyés",
    "results.series.delivered": "Distribués",
    "results.series.confirmationRate": "Taux de confirmation",
    "results.series.replyRate": "Taux de réponse",
    "results.series.noShowRate": "Taux d’absence",
    "results.col.day": "Jour",
    "results.col.kind": "Type de SMS",
    "results.col.cadence": "Rappels",
    "results.col.variant": "Variante",
    "results.col.sent": "Envoyés",
    "results.col.delivered": "Distribués",
    "results.col.deliveryRate": "Taux de distribution",
    "results.col.replies": "Réponses",
    "results.col.replyRate": "Taux de réponse",
    "results.col.confirmations": "Confirmations",
    "results.col.confirmationRate": "Taux de confirmation",
    "results.col.optOuts": "Désinscriptions",
    "results.col.optOutsPer1000": "Désinscriptions pour 1 000",
    "results.col.segments": "Segments",
    "results.col.cost": "Coût",
    "results.col.appointments": "Rendez-vous",
    "results.col.confirmed": "Confirmés",
    "results.col.cancelledAhead": "Annulés à temps",
    "results.col.withOutcome": "Avec un résultat",
    "results.col.noShows": "Absences",
    "results.col.noShowRate": "Taux d’absence",
    "results.col.texts": "SMS",
    "results.cadence.none": "Aucun rappel",
    "results.cadence.unknown": "Non enregistré",
    "results.cadence.list": "{list} avant",
    "results.exp.heading": "Expériences de textes",
    "results.exp.intro": "Essayez deux à quatre formulations d’un même SMS côte à côte : chaque rendez-vous reçoit l’une d’elles par un tirage stable, et le rapport dit quand une différence est significative.",
    "results.exp.none": "Aucune expérience pour l’instant.",
    "results.exp.caption": "Expériences, les plus récentes d’abord",
    "results.exp.col.name": "Expérience",
    "results.exp.col.text": "SMS",
    "results.exp.col.state": "État",
    "results.exp.col.started": "Commencée",
    "results.exp.running": "En cours",
    "results.exp.stopped": "Arrêtée",
    "results.exp.stoppedWinner": "Arrêtée : {winner} est le texte par défaut",
    "results.exp.show": "Rapport",
    "results.exp.showFor": "Rapport de {id}",
    "results.exp.kindLocale": "{kind}, {language}",
    "results.exp.report": "Rapport : {id}",
    "results.exp.variants": "Variantes",
    "results.exp.control": "{name} (témoin)",
    "results.exp.arms": "Groupes de {id}",
    "results.exp.verdict.not_yet_meaningful": "Pas encore significatif : le plus petit groupe a {smallest} des {min} rendez-vous avec un résultat qu’il faut à chaque groupe.",
    "results.exp.verdict.not_yet_meaningful.short": "Pas encore significatif",
    "results.exp.verdict.winner": "{leader} a moins d’absences.",
    "results.exp.verdict.no_meaningful_difference": "Pas de différence significative entre les variantes.",
    "results.exp.confidence": "Intervalles à {confidence} de confiance.",
    "results.exp.diff": "Écart avec {control}",
    "results.exp.diff.desc": "Pour chaque variante, l’écart de son taux avec celui du témoin, avec son intervalle : un intervalle qui ne croise pas zéro est une différence significative.",
    "results.exp.diff.line": "{variant}, {metric} : {difference} points ({low} à {high})",
    "results.exp.meaningful": "significatif",
    "results.exp.points": "{value} pts",
    "results.exp.stop": "Arrêter l’expérience",
    "results.exp.stopQuestion": "Arrêter {id} ?",
    "results.exp.stopExplain": "Les SMS reviennent à une seule formulation pour tous. Choisissez celle qui reste :",
    "results.exp.keepCurrent": "Le texte actuel (pas de gagnant)",
    "results.exp.stopCaution": "Les résultats ne montrent pas encore que cette formulation est meilleure.",
    "results.exp.better.no_show_rate": "← plus bas, c’est mieux",
    "results.exp.better.confirmation_rate": "plus haut, c’est mieux →",
    "results.lang.en": "anglais",
    "results.lang.fr": "français",
    "results.lang.es": "espagnol",
    "results.exp.makeDefault": "{name} : en faire le texte par défaut",
    "results.exp.keepRunning": "La laisser continuer",
    "results.exp.confirmStop": "Oui, l’arrêter",
    "results.exp.stoppedDone": "{id} est arrêtée.",
    "results.exp.stoppedDoneWinner": "{id} est arrêtée ; {winner} est désormais le texte par défaut.",
    "results.exp.new": "Lancer une expérience",
    "results.exp.id": "Nom (minuscules, chiffres et -)",
    "results.exp.kind": "Quel SMS",
    "results.exp.locale": "Langue",
    "results.exp.description": "Ce qu’elle essaie (facultatif)",
    "results.exp.variant": "Variante {n}",
    "results.exp.variantControl": "Variante 1 (le témoin : votre texte actuel)",
    "results.exp.variantName": "Nom",
    "results.exp.variantTemplate": "Texte",
    "results.exp.addVariant": "Ajouter une variante",
    "results.exp.removeVariant": "Retirer la variante {n}",
    "results.exp.start": "Lancer l’expérience",
    "results.exp.started": "{id} est en cours.",
    "results.exp.again": "{id} était déjà en cours avec ces variantes.",
    "results.exp.missing": "Donnez un nom à l’expérience, et un nom et un texte à chaque variante.",
    "results.exp.badName": "Minuscules, chiffres et -, en commençant par une lettre ou un chiffre.",
    "results.exp.sameNames": "Chaque variante a besoin de son propre nom.",
    "results.exp.conflict": "Non lancée : {message}",
    "results.exp.invalid": "Non lancée : voir les champs signalés ci-dessous.",
    "results.exp.field": "Vérifiez ceci : {problem}",
    "results.exp.error": "Non fait : {message}",
    "results.tune.heading": "Des clients se désinscrivent",
    "results.tune.threshold": "{rate} désinscriptions pour 1 000 SMS sur les 7 derniers jours ({count} pour {texts} SMS), au-dessus de votre limite de {limit}.",
    "results.tune.doubled": "{rate} désinscriptions pour 1 000 SMS sur les 7 derniers jours ({count} pour {texts} SMS), plus du double des {prior} des 4 semaines précédentes.",
    "results.tune.drawn": "Les SMS qui les ont provoquées :",
    "results.tune.drawnLine": "{kind} : {count}",
    "results.tune.drawnVariant": "{kind} ({variant}) : {count}",
    "results.tune.optOuts.one": "{count} désinscription",
    "results.tune.optOuts.other": "{count} désinscriptions",
    "results.tune.advice": "Des SMS plus courts, moins nombreux ou plus aimables aident souvent ; une expérience dira lesquels.",
    "results.tune.open": "Voir les résultats",
    "results.tune.hide": "Masquer jusqu’au prochain changement"
  });

  Object.assign(I18N.es, {
    "nav.results": "Resultados",
    "results.heading": "Resultados",
    "results.period": "Periodo",
    "results.days.one": "{count} día",
    "results.days.other": "{count} días",
    "results.export": "Descargar CSV",
    "results.exported": "Las cifras de los últimos {days} días se descargan en {file}.",
    "results.loading": "Cargando las cifras…",
    "results.updated": "Cifras de los últimos {days} días, actualizadas a las {time}.",
    "results.error": "No se pudieron cargar las cifras: {message}",
    "results.none": "–",
    "results.noData": "aún sin datos",
    "results.tiles": "Cifras principales",
    "results.tile.confirmation": "Confirmadas",
    "results.tile.confirmation.note": "{count} de {total} citas",
    "results.tile.noShow": "Ausencias",
    "results.tile.noShow.note": "{count} de {total} con resultado",
    "results.tile.delivery": "Entregados",
    "results.tile.delivery.note": "{count} de {total} SMS enviados",
    "results.tile.optOuts": "Bajas por cada 1000 SMS",
    "results.tile.optOuts.note": "{count} bajas",
    "results.tile.cost": "Coste de los SMS",
    "results.tile.cost.note": "{count} segmentos",
    "results.tile.cancelledAhead": "Canceladas a tiempo para volver a ocuparlas",
    "results.tile.cancelledAhead.note": "{count} de {total} citas",
    "results.chart.daily": "SMS por día",
    "results.chart.daily.desc": "SMS enviados y entregados cada día del periodo; el día con más tuvo {max}.",
    "results.chart.daily.bar": "{day}: {sent} enviados, {delivered} entregados",
    "results.chart.byKind": "Por tipo de SMS",
    "results.chart.byKind.desc": "Tasa de confirmación y tasa de respuesta de cada tipo de SMS.",
    "results.chart.byCadence": "Por ritmo de recordatorios",
    "results.chart.byCadence.desc": "Tasa de ausencias y tasa de confirmación de las citas según los recordatorios previstos.",
    "results.chart.byVariant": "Por variante de texto",
    "results.chart.empty": "Todavía nada en este periodo.",
    "results.chart.table": "Ver las cifras en una tabla",
    "results.series.sent": "Enviados",
    "results.series.delivered": "Entregados",
    "results.series.confirmationRate": "Tasa de confirmación",
    "results.series.replyRate": "Tasa de respuesta",
    "results.series.noShowRate": "Tasa de ausencias",
    "results.col.day": "Día",
    "results.col.kind": "Tipo de SMS",
    "results.col.cadence": "Recordatorios",
    "results.col.variant": "Variante",
    "results.col.sent": "Enviados",
    "results.col.delivered": "Entregados",
    "results.col.deliveryRate": "Tasa de entrega",
    "results.col.replies": "Respuestas",
    "results.col.replyRate": "Tasa de respuesta",
    "results.col.confirmations": "Confirmaciones",
    "results.col.confirmationRate": "Tasa de confirmación",
    "results.col.optOuts": "Bajas",
    "results.col.optOutsPer1000": "Bajas por cada 1000",
    "results.col.segments": "Segmentos",
    "results.col.cost": "Coste",
    "results.col.appointments": "Citas",
    "results.col.confirmed": "Confirmadas",
    "results.col.cancelledAhead": "Canceladas a tiempo",
    "results.col.withOutcome": "Con resultado",
    "results.col.noShows": "Ausencias",
    "results.col.noShowRate": "Tasa de ausencias",
    "results.col.texts": "SMS",
    "results.cadence.none": "Sin recordatorios",
    "results.cadence.unknown": "No registrado",
    "results.cadence.list": "{list} antes",
    "results.exp.heading": "Experimentos de textos",
    "results.exp.intro": "Pruebe de dos a cuatro redacciones de un mismo SMS a la vez: cada cita recibe una por un sorteo estable, y el informe dice cuándo una diferencia es significativa.",
    "results.exp.none": "Todavía no hay experimentos.",
    "results.exp.caption": "Experimentos, los más recientes primero",
    "results.exp.col.name": "Experimento",
    "results.exp.col.text": "SMS",
    "results.exp.col.state": "Estado",
    "results.exp.col.started": "Comenzó",
    "results.exp.running": "En curso",
    "results.exp.stopped": "Detenido",
    "results.exp.stoppedWinner": "Detenido: {winner} es el texto predeterminado",
    "results.exp.show": "Informe",
    "results.exp.showFor": "Informe de {id}",
    "results.exp.kindLocale": "{kind}, {language}",
    "results.exp.report": "Informe: {id}",
    "results.exp.variants": "Variantes",
    "results.exp.control": "{name} (control)",
    "results.exp.arms": "Grupos de {id}",
    "results.exp.verdict.not_yet_meaningful": "Aún no es significativo: el grupo más pequeño tiene {smallest} de las {min} citas con resultado que necesita cada grupo.",
    "results.exp.verdict.not_yet_meaningful.short": "Aún no es significativo",
    "results.exp.verdict.winner": "{leader} tiene menos ausencias.",
    "results.exp.verdict.no_meaningful_difference": "No hay diferencia significativa entre las variantes.",
    "results.exp.confidence": "Intervalos al {confidence} de confianza.",
    "results.exp.diff": "Diferencia con {control}",
    "results.exp.diff.desc": "Para cada variante, cuánto se aleja su tasa de la del control, con su intervalo: un intervalo que no cruza el cero es una diferencia significativa.",
    "results.exp.diff.line": "{variant}, {metric}: {difference} puntos ({low} a {high})",
    "results.exp.meaningful": "significativo",
    "results.exp.points": "{value} ptos",
    "results.exp.stop": "Detener el experimento",
    "results.exp.stopQuestion": "¿Detener {id}?",
    "results.exp.stopExplain": "Los SMS vuelven a una sola redacción para todos. Elija la que se queda:",
    "results.exp.keepCurrent": "El texto actual (sin ganador)",
    "results.exp.stopCaution": "Los resultados aún no muestran que esta redacción sea mejor.",
    "results.exp.better.no_show_rate": "← más bajo es mejor",
    "results.exp.better.confirmation_rate": "más alto es mejor →",
    "results.lang.en": "inglés",
    "results.lang.fr": "francés",
    "results.lang.es": "español",
    "results.exp.makeDefault": "{name}: hacerlo el texto predeterminado",
    "results.exp.keepRunning": "Dejarlo en curso",
    "results.exp.confirmStop": "Sí, detenerlo",
    "results.exp.stoppedDone": "{id} está detenido.",
    "results.exp.stoppedDoneWinner": "{id} está detenido; {winner} es ahora el texto predeterminado.",
    "results.exp.new": "Comenzar un experimento",
    "results.exp.id": "Nombre (minúsculas, cifras y -)",
    "results.exp.kind": "Qué SMS",
    "results.exp.locale": "Idioma",
    "results.exp.description": "Qué prueba (opcional)",
    "results.exp.variant": "Variante {n}",
    "results.exp.variantControl": "Variante 1 (el control: su texto actual)",
    "results.exp.variantName": "Nombre",
    "results.exp.variantTemplate": "Texto",
    "results.exp.addVariant": "Añadir una variante",
    "results.exp.removeVariant": "Quitar la variante {n}",
    "results.exp.start": "Comenzar el experimento",
    "results.exp.started": "{id} está en curso.",
    "results.exp.again": "{id} ya estaba en curso con estas variantes.",
    "results.exp.missing": "Dé un nombre al experimento, y un nombre y un texto a cada variante.",
    "results.exp.badName": "Minúsculas, cifras y -, empezando por una letra o una cifra.",
    "results.exp.sameNames": "Cada variante necesita su propio nombre.",
    "results.exp.conflict": "No comenzó: {message}",
    "results.exp.invalid": "No comenzó: vea los campos marcados abajo.",
    "results.exp.field": "Revise esto: {problem}",
    "results.exp.error": "No se hizo: {message}",
    "results.tune.heading": "Hay clientes que se dan de baja",
    "results.tune.threshold": "{rate} bajas por cada 1000 SMS en los últimos 7 días ({count} de {texts} SMS), por encima de su límite de {limit}.",
    "results.tune.doubled": "{rate} bajas por cada 1000 SMS en los últimos 7 días ({count} de {texts} SMS), más del doble de las {prior} de las 4 semanas anteriores.",
    "results.tune.drawn": "Los SMS que las provocaron:",
    "results.tune.drawnLine": "{kind}: {count}",
    "results.tune.drawnVariant": "{kind} ({variant}): {count}",
    "results.tune.optOuts.one": "{count} baja",
    "results.tune.optOuts.other": "{count} bajas",
    "results.tune.advice": "SMS más cortos, menos frecuentes o más amables suelen ayudar; un experimento dirá cuáles.",
    "results.tune.open": "Ver los resultados",
    "results.tune.hide": "Ocultar hasta que cambie"
  });

  const el = (...args) => RV.el(...args);
  // replaceChildren writes a null as the text "null": the parts a report or banner leaves
  // out are dropped here, as el() drops them.
  const fill = (node, ...children) => node.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const PERIODS = [7, 14, 31];
  // The figures of a period cost a Query a day and more: on screen they are read again at
  // most every 5 minutes, however often the shell's view refresh (every minute) comes.
  const STATS_EVERY_MS = 5 * 60 * 1000;
  // Tune-out is computed over 7 days and alarmed on hourly: every 15 minutes is plenty, and
  // keeps a manager's idle console inside its 5.5 requests a minute (5.4 + 0.07).
  const TUNE_OUT_EVERY_MS = 15 * 60 * 1000;
  const EXPERIMENT_KINDS = ["confirmation", "reminder", "reminder_confirmed", "moved"];
  const LOCALES = ["en", "fr", "es"];
  const LANGUAGE_NAMES = { en: "English", fr: "Français", es: "Español" };
  const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,19}$/;
  const EXPERIMENT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
  const MAX_VARIANTS = 4;

  const state = {
    built: false, visible: false, generation: 0, days: 7, stats: null, statsAt: 0, loading: null,
    experiments: null, report: null, reportId: null, stopping: null, variants: 2,
    tuneOut: null, tuneHidden: "",
  };

  // ---- numbers in the console's language ------------------------------------------------
  function number(value, digits) {
    return new Intl.NumberFormat(currentLocale(), { maximumFractionDigits: digits ?? 0 }).format(value);
  }

  function percent(rate) {
    if (rate === null || rate === undefined) return t("results.none");
    return new Intl.NumberFormat(currentLocale(), { style: "percent", maximumFractionDigits: 1 }).format(rate);
  }

  // Percentage points, signed: -0.021 -> "−2.1".
  function points(fraction) {
    return new Intl.NumberFormat(currentLocale(), { maximumFractionDigits: 1, signDisplay: "exceptZero" }).format(fraction * 100);
  }

  function money(amount, currency) {
    if (amount === null || amount === undefined) return t("results.none");
    const digits = amount > 0 && amount < 0.01 ? 4 : 2;
    try {
      return new Intl.NumberFormat(currentLocale(), { style: "currency", currency: currency || "USD", maximumFractionDigits: digits, minimumFractionDigits: Math.min(2, digits) }).format(amount);
    } catch {
      return `${number(amount, digits)} ${currency || ""}`.trim();
    }
  }

  function dayLabel(day, long) {
    const at = Date.parse(`${day}T12:00:00Z`);
    if (Number.isNaN(at)) return String(day);
    const options = long ? { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" } : { day: "numeric", month: "numeric", timeZone: "UTC" };
    return new Intl.DateTimeFormat(currentLocale(), options).format(at);
  }

  // A language named in the page's language ("anglais" on a French page); the form's picker
  // keeps each language's own name.
  function languageText(code) {
    return LOCALES.includes(code) ? t(`results.lang.${code}`) : String(code);
  }

  function kindText(kind) {
    return RV.kindText ? RV.kindText(kind) : String(kind);
  }

  // "72h+24h" -> "72 h, 24 h before"; "" -> no reminders; "unknown" -> not recorded.
  function cadenceText(cadence) {
    if (cadence === "unknown" || cadence === null || cadence === undefined) return t("results.cadence.unknown");
    if (cadence === "") return t("results.cadence.none");
    const parts = String(cadence).split("+").map((part) => {
      const found = /^(\d+)([hm])$/.exec(part);
      if (!found) return part;
      return found[2] === "h" ? `${found[1]} h` : t("common.minutes", { count: found[1] });
    });
    return t("results.cadence.list", { list: parts.join(", ") });
  }

  // ---- SVG, node by node ----------------------------------------------------------------
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  let chartSerial = 0;
  // An SVG read out as one picture: its title and description name it; the table beside it
  // holds every figure for whoever wants them exactly.
  function chartFrame(width, height, title, desc) {
    chartSerial += 1;
    const id = `results-chart-${chartSerial}`;
    return svg("svg", {
      class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
      "aria-labelledby": `${id}-title ${id}-desc`, focusable: "false",
    }, svg("title", { id: `${id}-title` }, title), svg("desc", { id: `${id}-desc` }, desc));
  }

  // A round top for an axis: 37 -> 40, 0.23 -> 0.25, 0 -> 1.
  function niceMax(value) {
    if (!(value > 0)) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= value);
    return step * power;
  }

  // Charts are drawn at the width their box has on screen (in user units = CSS pixels), so
  // their words stay legible at a phone's width; a resize draws them again.
  let slots = []; // [slot, draw]: every chart on screen, drawn again at a new width
  function chartSlot(draw) {
    const slot = el("div", { class: "chart-slot" });
    slots.push([slot, draw]);
    return slot;
  }

  function drawCharts(again) {
    slots = slots.filter(([slot]) => slot.isConnected);
    for (const [slot, draw] of slots) {
      if (again || !slot.firstChild) slot.replaceChildren(draw(Math.max(260, Math.min(1200, slot.clientWidth || 640))));
    }
  }

  // Texts sent and delivered per day: a pair of bars a day.
  function dailyChart(daily, width) {
    const height = 200;
    const left = 44;
    const bottom = 24;
    const top = 10;
    const plotW = width - left - 8;
    const plotH = height - top - bottom;
    const max = niceMax(Math.max(0, ...daily.map((d) => d.sent || 0)));
    const chart = chartFrame(width, height, t("results.chart.daily"), t("results.chart.daily.desc", { max: number(Math.max(0, ...daily.map((d) => d.sent || 0))) }));
    const y = (v) => top + plotH - (plotH * v) / max;
    for (const tick of [0, max / 2, max]) {
      chart.append(svg("line", { class: "chart-grid", x1: left, x2: width - 8, y1: y(tick), y2: y(tick) }),
        svg("text", { class: "chart-tick", x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, number(tick, 1)));
    }
    const slot = plotW / Math.max(1, daily.length);
    const bar = Math.max(1, Math.min(16, (slot - 4) / 2));
    const every = Math.max(1, Math.ceil((daily.length * 44) / plotW));
    daily.forEach((day, index) => {
      const x = left + slot * index + (slot - bar * 2) / 2;
      const group = svg("g", { class: "chart-day", "data-day": day.day },
        svg("title", {}, t("results.chart.daily.bar", { day: dayLabel(day.day, true), sent: number(day.sent || 0), delivered: number(day.delivered || 0) })),
        svg("rect", { class: "bar bar-sent", x, y: y(day.sent || 0), width: bar, height: Math.max(0, y(0) - y(day.sent || 0)) }),
        svg("rect", { class: "bar bar-delivered", x: x + bar, y: y(day.delivered || 0), width: bar, height: Math.max(0, y(0) - y(day.delivered || 0)) }));
      chart.append(group);
      if (index % every === 0) {
        chart.append(svg("text", { class: "chart-tick", x: left + slot * index + slot / 2, y: height - 6, "text-anchor": "middle" }, dayLabel(day.day)));
      }
    });
    chart.append(svg("line", { class: "chart-axis", x1: left, x2: width - 8, y1: y(0), y2: y(0) }));
    return chart;
  }

  // Rates of groups as horizontal bars: the group's name on its own line, then one bar a
  // series under it, so long names fit at a phone's width.
  function rateBars(groups, labelOf, series, title, desc, width) {
    const left = 4;
    const valueRoom = 64;
    const barH = 14;
    const rowH = 18 + series.length * (barH + 3) + 8;
    const height = groups.length * rowH + 8;
    const max = Math.min(1, niceMax(Math.max(0, ...groups.flatMap((g) => series.map((s) => g[s.key] || 0)))));
    const plotW = width - left - valueRoom;
    const chart = chartFrame(width, height, title, desc);
    groups.forEach((group, row) => {
      const top = row * rowH + 4;
      const g = svg("g", { class: "chart-row", "data-key": group.key },
        svg("text", { class: "chart-label", x: left, y: top + 13 }, labelOf(group)));
      series.forEach((s, index) => {
        const value = group[s.key];
        const y = top + 18 + index * (barH + 3);
        const w = value === null || value === undefined ? 0 : (plotW * value) / max;
        g.append(svg("rect", { class: `bar ${s.cls}`, x: left, y, width: Math.max(value ? 1 : 0, w), height: barH },
          svg("title", {}, `${labelOf(group)} · ${t(s.label)}: ${percent(value)}`)),
        svg("text", { class: "chart-value", x: left + w + 4, y: y + barH - 3 }, percent(value)));
      });
      chart.append(g);
    });
    return chart;
  }

  // Each variant's difference from the control with its interval (a whisker): the zero line
  // in the middle; an interval clear of it is meaningful.
  function differenceChart(report, control, width) {
    const rows = report.comparisons || [];
    const rowH = 54; // label, whisker, and which side is better
    const height = rows.length * rowH + 30;
    const extent = niceMax(Math.max(0.01, ...rows.flatMap((c) => [Math.abs(c.low ?? 0), Math.abs(c.high ?? 0), Math.abs(c.difference ?? 0)])));
    const left = 8;
    const right = width - 8;
    const x = (v) => left + ((v + extent) / (2 * extent)) * (right - left);
    const chart = chartFrame(width, height, t("results.exp.diff", { control }), t("results.exp.diff.desc"));
    chart.append(svg("line", { class: "chart-zero", x1: x(0), x2: x(0), y1: 4, y2: height - 20 }));
    for (const tick of [-extent, 0, extent]) {
      chart.append(svg("text", { class: "chart-tick", x: x(tick), y: height - 6, "text-anchor": tick < 0 ? "start" : tick > 0 ? "end" : "middle" },
        tick ? t("results.exp.points", { value: points(tick) }) : "0"));
    }
    rows.forEach((c, row) => {
      const top = row * rowH + 4;
      if (c.difference === null || c.difference === undefined || c.low === null || c.high === null) {
        // Nothing to compare yet (an arm without outcomes): said, not drawn as a zero.
        chart.append(svg("g", { class: "whisker is-empty", "data-variant": c.variant, "data-metric": c.metric },
          svg("text", { class: "chart-label", x: left, y: top + 12 }, `${c.variant} · ${metricName(c.metric)}`),
          svg("text", { class: "chart-value", x: x(0) + 6, y: top + 30 }, t("results.noData"))));
        return;
      }
      const line = t("results.exp.diff.line", { variant: c.variant, metric: metricName(c.metric), difference: points(c.difference ?? 0), low: points(c.low ?? 0), high: points(c.high ?? 0) });
      // Fewer no-shows is better, more confirmations is better: said beside the zero line,
      // on the side that wins.
      const lowerBetter = c.metric === "no_show_rate";
      const better = svg("text", {
        class: "chart-tick chart-better", "data-better": lowerBetter ? "lower" : "higher",
        x: lowerBetter ? x(0) - 6 : x(0) + 6, y: top + 46, "text-anchor": lowerBetter ? "end" : "start",
      }, t(lowerBetter ? "results.exp.better.no_show_rate" : "results.exp.better.confirmation_rate"));
      const mid = top + 26;
      const cls = c.meaningful ? "whisker is-meaningful" : "whisker";
      chart.append(svg("g", { class: cls, "data-variant": c.variant, "data-metric": c.metric },
        svg("title", {}, line + (c.meaningful ? ` · ${t("results.exp.meaningful")}` : "") + ` · ${better.textContent}`),
        svg("text", { class: "chart-label", x: left, y: top + 12 }, `${c.variant} · ${metricName(c.metric)}`),
        svg("line", { class: "whisker-line", x1: x(c.low ?? 0), x2: x(c.high ?? 0), y1: mid, y2: mid }),
        svg("line", { class: "whisker-line", x1: x(c.low ?? 0), x2: x(c.low ?? 0), y1: mid - 5, y2: mid + 5 }),
        svg("line", { class: "whisker-line", x1: x(c.high ?? 0), x2: x(c.high ?? 0), y1: mid - 5, y2: mid + 5 }),
        svg("circle", { class: "whisker-dot", cx: x(c.difference ?? 0), cy: mid, r: 5 }), better));
    });
    return chart;
  }

  function metricName(metric) {
    return t(metric === "no_show_rate" ? "results.series.noShowRate" : "results.series.confirmationRate");
  }

  function legend(series) {
    return el("ul", { class: "chart-legend" }, ...series.map((s) => el("li", {},
      el("span", { class: `swatch ${s.cls}`, "aria-hidden": "true" }), t(s.label))));
  }

  function table(caption, columns, rows) {
    return el("div", { class: "table-wrap" }, el("table", {},
      el("caption", { class: "visually-hidden" }, caption),
      el("thead", {}, el("tr", {}, ...columns.map((c, i) => el("th", { scope: "col", class: i ? "num" : null }, t(c.label))))),
      el("tbody", {}, ...rows.map((row) => el("tr", {}, ...columns.map((c, i) => (i
        ? el("td", { class: "num" }, c.value(row))
        : el("th", { scope: "row" }, c.value(row)))))))));
  }

  // draw(width) -> the chart's SVG, or null when there is nothing to draw.
  function figure(id, titleKey, draw, legendSeries, tableNode) {
    return el("figure", { class: "results-figure", id, "aria-labelledby": `${id}-caption` },
      el("figcaption", { id: `${id}-caption` }, el("h3", {}, t(titleKey))),
      draw ? chartSlot(draw) : empty(), draw ? legend(legendSeries) : null,
      tableNode ? el("details", { class: "chart-table" }, el("summary", {}, t("results.chart.table")), tableNode) : null);
  }

  const GROUP_COLUMNS = [
    { label: "results.col.sent", value: (g) => number(g.sent ?? 0) },
    { label: "results.col.deliveryRate", value: (g) => percent(g.delivery_rate) },
    { label: "results.col.replyRate", value: (g) => percent(g.reply_rate) },
    { label: "results.col.confirmationRate", value: (g) => percent(g.confirmation_rate) },
    { label: "results.col.optOutsPer1000", value: (g) => (g.opt_outs_per_1000 === null || g.opt_outs_per_1000 === undefined ? t("results.none") : number(g.opt_outs_per_1000, 1)) },
    { label: "results.col.segments", value: (g) => number(g.segments ?? 0) },
    { label: "results.col.cost", value: (g) => money(g.cost, state.stats && state.stats.currency) },
  ];
  const COHORT_COLUMNS = [
    { label: "results.col.appointments", value: (c) => number(c.appointments ?? 0) },
    { label: "results.col.confirmationRate", value: (c) => percent(c.confirmation_rate) },
    { label: "results.col.cancelledAhead", value: (c) => percent(c.cancelled_ahead_rate) },
    { label: "results.col.withOutcome", value: (c) => number(c.with_outcome ?? 0) },
    { label: "results.col.noShows", value: (c) => number(c.no_show ?? 0) },
    { label: "results.col.noShowRate", value: (c) => percent(c.no_show_rate) },
  ];

  // ---- building the view ----------------------------------------------------------------
  function build() {
    if (state.built) return;
    state.built = true;
    const periods = el("div", { class: "results-period", role: "group", "aria-labelledby": "results-period-label" },
      el("span", { id: "results-period-label", class: "results-period-label" }),
      ...PERIODS.map((days) => el("button", { type: "button", "data-days": days, "aria-pressed": days === state.days ? "true" : "false" })));
    $("view-results").replaceChildren(
      el("div", { class: "results-head" },
        el("h2", { id: "results-heading", tabindex: "-1" }),
        el("div", { class: "results-bar" }, periods,
          el("button", { type: "button", id: "results-export" }))),
      el("p", { id: "results-status", class: "muted small", role: "status" }),
      el("p", { id: "results-error", class: "field-error", role: "alert" }),
      el("section", { "aria-labelledby": "results-tiles-heading" },
        el("h3", { id: "results-tiles-heading", class: "visually-hidden" }),
        el("dl", { id: "results-tiles", class: "results-tiles" })),
      el("div", { id: "results-charts", class: "results-charts" }),
      el("section", { id: "results-experiments", class: "results-experiments", "aria-labelledby": "exp-heading", hidden: true }));
    periods.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-days]");
      if (button) choosePeriod(Number(button.dataset.days));
    });
    $("results-export").addEventListener("click", exportCsv);
    buildExperiments();
    translateStatic();
  }

  function translateStatic() {
    if (!state.built) return;
    $("results-heading").textContent = t("results.heading");
    $("results-period-label").textContent = t("results.period");
    for (const button of $("view-results").querySelectorAll("button[data-days]")) {
      button.textContent = tn("results.days", Number(button.dataset.days));
    }
    $("results-export").textContent = t("results.export");
    $("results-tiles-heading").textContent = t("results.tiles");
    translateExperiments();
  }

  function say(text) {
    if (state.built) $("results-status").textContent = text;
  }

  function choosePeriod(days) {
    if (days === state.days) return;
    state.days = days;
    for (const button of $("view-results").querySelectorAll("button[data-days]")) {
      button.setAttribute("aria-pressed", Number(button.dataset.days) === days ? "true" : "false");
    }
    quietly(loadStats(true));
  }

  function quietly(promise) {
    return promise.catch((error) => {
      if (error && error.code === "stale") return;
      $("results-error").textContent = t("results.error", { message: error.message || String(error) });
    });
  }

  // ---- the figures ----------------------------------------------------------------------
  async function loadStats(force) {
    if (!state.visible) return;
    if (!force && state.stats && Date.now() - state.statsAt < STATS_EVERY_MS && state.stats.days === state.days) return;
    const generation = state.generation;
    const days = state.days;
    say(t("results.loading"));
    const stats = await RV.api("GET", `/v1/stats?days=${days}`);
    if (generation !== state.generation || days !== state.days) return;
    state.stats = stats;
    state.statsAt = Date.now();
    $("results-error").textContent = "";
    renderStats();
  }

  function tile(key, value, note, name) {
    return el("div", { class: "tile", "data-tile": name },
      el("dt", {}, t(key)),
      el("dd", {}, el("span", { class: "tile-value" }, value), note ? el("small", {}, note) : null));
  }

  function renderStats() {
    const s = state.stats;
    if (!s || !state.built) return;
    const rates = s.rates || {};
    const texts = rates.texts || {};
    const cohort = rates.appointments || {};
    const noData = t("results.noData");
    const noteIf = (total, text) => (total ? text : noData);
    $("results-tiles").replaceChildren(
      tile("results.tile.confirmation", percent(cohort.confirmation_rate),
        noteIf(cohort.appointments, t("results.tile.confirmation.note", { count: number(cohort.confirmed ?? 0), total: number(cohort.appointments ?? 0) })), "confirmation"),
      tile("results.tile.noShow", percent(cohort.no_show_rate),
        noteIf(cohort.with_outcome, t("results.tile.noShow.note", { count: number(cohort.no_show ?? 0), total: number(cohort.with_outcome ?? 0) })), "no-show"),
      tile("results.tile.delivery", percent(texts.delivery_rate),
        noteIf(texts.sent, t("results.tile.delivery.note", { count: number(texts.delivered ?? 0), total: number(texts.sent ?? 0) })), "delivery"),
      tile("results.tile.optOuts", texts.opt_outs_per_1000 === null || texts.opt_outs_per_1000 === undefined ? t("results.none") : number(texts.opt_outs_per_1000, 1),
        noteIf(texts.sent, t("results.tile.optOuts.note", { count: number(texts.opt_outs ?? 0) })), "opt-outs"),
      tile("results.tile.cost", money(texts.cost ?? 0, s.currency),
        t("results.tile.cost.note", { count: number(texts.segments ?? 0) }), "cost"),
      tile("results.tile.cancelledAhead", percent(cohort.cancelled_ahead_rate),
        noteIf(cohort.appointments, t("results.tile.cancelledAhead.note", { count: number(cohort.cancelled_ahead ?? 0), total: number(cohort.appointments ?? 0) })), "cancelled-ahead"));
    renderCharts();
    say(t("results.updated", { days: s.days || state.days, time: RV.fmt.time(new Date(RV.now()).toISOString()) }));
  }

  function empty() {
    return el("p", { class: "empty" }, t("results.chart.empty"));
  }

  function renderCharts() {
    const s = state.stats;
    if (!s || !state.built) return;
    const daily = s.daily || [];
    const byKind = s.by_kind || [];
    const byCadence = s.by_cadence || [];
    const byVariant = s.by_variant || [];
    const dailySeries = [{ cls: "bar-sent", label: "results.series.sent" }, { cls: "bar-delivered", label: "results.series.delivered" }];
    const kindSeries = [
      { key: "confirmation_rate", cls: "bar-confirmation", label: "results.series.confirmationRate" },
      { key: "reply_rate", cls: "bar-reply", label: "results.series.replyRate" },
    ];
    const cadenceSeries = [
      { key: "no_show_rate", cls: "bar-no-show", label: "results.series.noShowRate" },
      { key: "confirmation_rate", cls: "bar-confirmation", label: "results.series.confirmationRate" },
    ];
    const figures = [
      figure("results-daily", "results.chart.daily", daily.length ? (width) => dailyChart(daily, width) : null, dailySeries,
        daily.length ? table(t("results.chart.daily"), [
          { label: "results.col.day", value: (d) => dayLabel(d.day, true) },
          { label: "results.col.sent", value: (d) => number(d.sent ?? 0) },
          { label: "results.col.delivered", value: (d) => number(d.delivered ?? 0) },
          { label: "results.col.replies", value: (d) => number(d.replies ?? 0) },
          { label: "results.col.confirmations", value: (d) => number(d.confirmations ?? 0) },
          { label: "results.col.optOuts", value: (d) => number(d.opt_outs ?? 0) },
        ], daily) : null),
      figure("results-by-kind", "results.chart.byKind",
        byKind.length ? (width) => rateBars(byKind, (g) => kindText(g.key), kindSeries, t("results.chart.byKind"), t("results.chart.byKind.desc"), width) : null,
        kindSeries,
        byKind.length ? table(t("results.chart.byKind"), [{ label: "results.col.kind", value: (g) => kindText(g.key) }, ...GROUP_COLUMNS], byKind) : null),
      figure("results-by-cadence", "results.chart.byCadence",
        byCadence.length ? (width) => rateBars(byCadence, (c) => cadenceText(c.key), cadenceSeries, t("results.chart.byCadence"), t("results.chart.byCadence.desc"), width) : null,
        cadenceSeries,
        byCadence.length ? table(t("results.chart.byCadence"), [{ label: "results.col.cadence", value: (c) => cadenceText(c.key) }, ...COHORT_COLUMNS], byCadence) : null),
    ];
    if (byVariant.length) {
      const variantTable = table(t("results.chart.byVariant"), [{ label: "results.col.variant", value: (g) => g.key }, ...GROUP_COLUMNS], byVariant);
      // Scrolls sideways inside its card when narrow: reachable by keyboard, named for it (a
      // group, not a second region of the same name as its section).
      Object.assign(variantTable, { tabIndex: 0 });
      variantTable.setAttribute("role", "group");
      variantTable.setAttribute("aria-labelledby", "results-by-variant-heading");
      figures.push(el("section", { class: "results-figure results-by-variant", id: "results-by-variant", "aria-labelledby": "results-by-variant-heading" },
        el("h3", { id: "results-by-variant-heading" }, t("results.chart.byVariant")),
        variantTable));
    }
    $("results-charts").replaceChildren(...figures);
    drawCharts();
  }

  // ---- the CSV ----------------------------------------------------------------------------
  // Fetched with the token like any call, then handed to the browser as a file: a link to
  // the route itself would carry no Authorization header.
  async function exportCsv() {
    const button = $("results-export");
    button.disabled = true;
    $("results-error").textContent = "";
    try {
      const days = state.days;
      const answer = await RV.api("GET", `/v1/stats/export?days=${days}`, undefined, { raw: true, accept: "text/csv" });
      const file = answer.filename || `rendezvous-stats-${days}d.csv`;
      const url = URL.createObjectURL(new Blob([answer.text], { type: answer.contentType || "text/csv;charset=utf-8" }));
      const link = el("a", { href: url, download: file, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      // The download has its own copy once it started; the URL is not needed after this turn.
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      const words = t("results.exported", { days, file });
      say(words);
      RV.announce(words);
    } catch (error) {
      if (error && error.code !== "stale") $("results-error").textContent = t("results.error", { message: error.message || String(error) });
    } finally {
      button.disabled = false;
    }
  }

  // ---- experiments (managers) ---------------------------------------------------------------
  function buildExperiments() {
    const kind = el("select", { id: "exp-kind" }, ...EXPERIMENT_KINDS.map((k) => el("option", { value: k })));
    const locale = el("select", { id: "exp-locale" }, ...LOCALES.map((code) => el("option", { value: code, lang: code }, LANGUAGE_NAMES[code])));
    $("results-experiments").replaceChildren(
      el("h3", { id: "exp-heading", tabindex: "-1" }),
      el("p", { id: "exp-intro", class: "muted" }),
      el("p", { id: "exp-message", class: "muted", role: "status" }),
      el("p", { id: "exp-empty", class: "empty", hidden: true }),
      el("div", { class: "table-wrap", id: "exp-list-wrap", hidden: true }, el("table", { id: "exp-list" },
        el("caption", { id: "exp-caption", class: "visually-hidden" }),
        el("thead", {}, el("tr", { id: "exp-list-head" })),
        el("tbody", { id: "exp-rows" }))),
      el("section", { id: "exp-report", class: "exp-report", "aria-labelledby": "exp-report-heading", hidden: true }),
      el("form", { id: "exp-form", class: "exp-form", novalidate: true, "aria-labelledby": "exp-new-heading" },
        el("h4", { id: "exp-new-heading" }),
        el("div", { class: "field-row" },
          formField("exp-id", "results.exp.id", el("input", { type: "text", maxlength: 40, spellcheck: "false", autocomplete: "off", autocapitalize: "off" })),
          formField("exp-kind", "results.exp.kind", kind),
          formField("exp-locale", "results.exp.locale", locale)),
        formField("exp-description", "results.exp.description", el("input", { type: "text", maxlength: 200, autocomplete: "off" })),
        el("div", { id: "exp-variants" }),
        el("p", { id: "exp-form-error", class: "field-error", role: "alert" }),
        el("div", { class: "actions" },
          el("button", { type: "button", id: "exp-add-variant" }),
          el("button", { type: "submit", id: "exp-submit", class: "primary" }))),
      el("dialog", { id: "exp-stop-dialog", "aria-labelledby": "exp-stop-question", "aria-describedby": "exp-stop-explain" },
        el("form", { id: "exp-stop-form", method: "dialog", novalidate: true },
          el("h2", { id: "exp-stop-question" }),
          el("fieldset", { class: "exp-winner" },
            el("legend", { id: "exp-stop-explain" }),
            el("div", { id: "exp-stop-choices" })),
          el("p", { id: "exp-stop-caution", class: "caution", hidden: true }),
          el("p", { id: "exp-stop-error", class: "field-error", role: "alert" }),
          el("div", { class: "dialog-actions" },
            el("button", { type: "button", id: "exp-stop-keep" }),
            el("button", { type: "submit", id: "exp-stop-confirm", class: "danger" })))));
    renderVariantFields([]);
    kind.addEventListener("change", prefillControl);
    locale.addEventListener("change", prefillControl);
    $("exp-add-variant").addEventListener("click", () => {
      const values = variantValues();
      if (values.length >= MAX_VARIANTS) return;
      values.push({ name: "", template: "" });
      renderVariantFields(values);
      $(`exp-variant-${values.length}-name`).focus();
    });
    $("exp-variants").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-remove-variant]");
      if (!button) return;
      const values = variantValues();
      values.splice(Number(button.dataset.removeVariant) - 1, 1);
      renderVariantFields(values);
      $("exp-add-variant").focus();
    });
    $("exp-variants").addEventListener("input", (event) => {
      if (event.target.matches("textarea")) segmentHint(event.target);
    });
    $("exp-form").addEventListener("submit", startExperiment);
    $("exp-rows").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-report]");
      if (button) quietlyExp(showReport(button.dataset.report, true));
    });
    $("exp-report").addEventListener("click", (event) => {
      if (event.target.closest("#exp-stop")) askStop();
    });
    $("exp-stop-form").addEventListener("submit", confirmStop);
    $("exp-stop-choices").addEventListener("change", stopCaution);
    $("exp-stop-keep").addEventListener("click", () => $("exp-stop-dialog").close());
    $("exp-stop-dialog").addEventListener("close", stopClosed);
  }

  function formField(id, labelKey, input) {
    input.id = id;
    input.setAttribute("aria-describedby", `${id}-error`);
    return el("div", { class: "field" },
      el("label", { for: id, "data-label": labelKey }), input,
      el("p", { id: `${id}-error`, class: "field-error" }));
  }

  function variantValues() {
    return [...$("exp-variants").querySelectorAll("fieldset[data-variant]")].map((set) => ({
      name: set.querySelector("input").value, template: set.querySelector("textarea").value,
    }));
  }

  function renderVariantFields(values) {
    const count = Math.max(2, Math.min(MAX_VARIANTS, values.length || 2));
    const sets = [];
    for (let n = 1; n <= count; n += 1) {
      const value = values[n - 1] || { name: "", template: "" };
      const id = `exp-variant-${n}`;
      const set = el("fieldset", { class: "manage-group exp-variant", "data-variant": n },
        el("legend", {}),
        el("div", { class: "field" },
          el("label", { for: `${id}-name`, "data-label": "results.exp.variantName" }),
          el("input", { id: `${id}-name`, type: "text", maxlength: 20, spellcheck: "false", autocomplete: "off", autocapitalize: "off", value: value.name, "aria-describedby": `${id}-name-error` }),
          el("p", { id: `${id}-name-error`, class: "field-error" })),
        el("div", { class: "field" },
          el("label", { for: `${id}-template`, "data-label": "results.exp.variantTemplate" }),
          el("textarea", { id: `${id}-template`, rows: 3, maxlength: 1600, value: value.template, "aria-describedby": `${id}-template-count ${id}-template-error` }),
          el("p", { id: `${id}-template-count`, class: "hint" }),
          el("p", { id: `${id}-template-error`, class: "field-error" })),
        n > 2 ? el("button", { type: "button", class: "quiet", "data-remove-variant": n }) : null);
      sets.push(set);
    }
    $("exp-variants").replaceChildren(...sets);
    translateVariants();
    $("exp-add-variant").hidden = count >= MAX_VARIANTS;
  }

  // In place, so a language switch keeps what was typed and where the focus is.
  function translateVariants() {
    for (const set of $("exp-variants").querySelectorAll("fieldset[data-variant]")) {
      const n = Number(set.dataset.variant);
      set.querySelector("legend").textContent = n === 1 ? t("results.exp.variantControl") : t("results.exp.variant", { n });
      for (const label of set.querySelectorAll("label[data-label]")) label.textContent = t(label.dataset.label);
      const remove = set.querySelector("button[data-remove-variant]");
      if (remove) remove.textContent = t("results.exp.removeVariant", { n });
      segmentHint(set.querySelector("textarea"));
    }
  }

  function segmentHint(area) {
    const info = RV.segments(area.value);
    $(`${area.id}-count`).textContent = tn("manage.settings.segments", info.parts, { chars: [...area.value].length });
  }

  // The control is the text the business sends today for that kind and language: the first
  // variant starts from it, so "plain" against "cost" compares with what customers get now.
  let settingsTemplates = null;
  async function prefillControl() {
    const area = $("exp-variant-1-template");
    if (!area || (area.value && !area.dataset.prefilled)) return;
    try {
      if (!settingsTemplates) settingsTemplates = (await RV.api("GET", "/v1/settings")).effective_templates || {};
    } catch {
      return; // the manager types the control; nothing is lost
    }
    const kind = $("exp-kind").value;
    const found = (settingsTemplates[$("exp-locale").value] || {})[kind];
    if (!found || (area.value && !area.dataset.prefilled)) return;
    area.value = found.text;
    area.dataset.prefilled = "true";
    const name = $("exp-variant-1-name");
    if (!name.value) name.value = "current";
    segmentHint(area);
  }

  function translateExperiments() {
    if (!state.built) return;
    for (const label of $("results-experiments").querySelectorAll("label[data-label]")) label.textContent = t(label.dataset.label);
    $("exp-heading").textContent = t("results.exp.heading");
    $("exp-intro").textContent = t("results.exp.intro");
    $("exp-empty").textContent = t("results.exp.none");
    $("exp-caption").textContent = t("results.exp.caption");
    $("exp-new-heading").textContent = t("results.exp.new");
    $("exp-add-variant").textContent = t("results.exp.addVariant");
    $("exp-submit").textContent = t("results.exp.start");
    $("exp-stop-keep").textContent = t("results.exp.keepRunning");
    $("exp-stop-confirm").textContent = t("results.exp.confirmStop");
    $("exp-stop-explain").textContent = t("results.exp.stopExplain");
    if ($("exp-stop-dialog").open) stopCaution();
    for (const option of $("exp-kind").options) option.textContent = kindText(option.value);
    $("exp-list-head").replaceChildren(...["results.exp.col.name", "results.exp.col.text", "results.exp.col.state", "results.exp.col.started", "results.exp.show"]
      .map((key) => el("th", { scope: "col" }, t(key))));
    translateVariants();
  }

  function quietlyExp(promise) {
    return promise.catch((error) => {
      if (error && error.code === "stale") return;
      $("exp-message").textContent = t("results.exp.error", { message: error.message || String(error) });
    });
  }

  async function loadExperiments() {
    if (!state.visible || RV.role() !== "manager") return;
    const generation = state.generation;
    const answer = await RV.api("GET", "/v1/experiments");
    if (generation !== state.generation) return;
    state.experiments = answer.experiments || [];
    renderExperiments();
    if (state.reportId) await showReport(state.reportId, false);
  }

  function stateText(experiment) {
    if (experiment.status === "running") return t("results.exp.running");
    return experiment.winner ? t("results.exp.stoppedWinner", { winner: experiment.winner }) : t("results.exp.stopped");
  }

  function renderExperiments() {
    const list = state.experiments || [];
    $("exp-empty").hidden = list.length > 0;
    $("exp-list-wrap").hidden = list.length === 0;
    $("exp-rows").replaceChildren(...list.map((e) => el("tr", { "data-experiment": e.experiment_id, class: `exp-${e.status}` },
      el("th", { scope: "row" }, e.experiment_id, e.description ? el("span", { class: "muted small block" }, e.description) : null),
      el("td", {}, t("results.exp.kindLocale", { kind: kindText(e.kind), language: languageText(e.locale) })),
      el("td", { "data-state": e.status }, stateText(e)),
      el("td", {}, e.started_at ? el("time", { dateTime: e.started_at }, RV.fmt.when(e.started_at)) : ""),
      el("td", {}, el("button", { type: "button", class: "quiet", "data-report": e.experiment_id,
        "aria-label": t("results.exp.showFor", { id: e.experiment_id }),
        "aria-expanded": state.reportId === e.experiment_id ? "true" : "false", "aria-controls": "exp-report" }, t("results.exp.show"))))));
  }

  async function showReport(experimentId, focus) {
    const generation = state.generation;
    const experiment = await RV.api("GET", `/v1/experiments/${encodeURIComponent(experimentId)}`);
    if (generation !== state.generation) return;
    state.reportId = experimentId;
    state.report = experiment;
    renderReport();
    renderExperiments();
    if (focus) $("exp-report-heading").focus();
  }

  function verdictText(report) {
    if (!report) return "";
    if (report.verdict === "winner") return t("results.exp.verdict.winner", { leader: report.leader });
    if (report.verdict === "not_yet_meaningful") {
      const counts = (report.arms || []).map((a) => a.with_outcome ?? 0);
      return t("results.exp.verdict.not_yet_meaningful", { smallest: number(counts.length ? Math.min(...counts) : 0), min: number(report.min_per_arm ?? 100) });
    }
    if (report.verdict === "no_meaningful_difference") return t("results.exp.verdict.no_meaningful_difference");
    return report.note || "";
  }

  function renderReport() {
    const e = state.report;
    const box = $("exp-report");
    if (!e) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    const report = e.report || null;
    const control = (e.variants || []).find((v) => v.control) || (e.variants || [])[0] || { name: "" };
    box.hidden = false;
    fill(box,
      el("h4", { id: "exp-report-heading", tabindex: "-1" }, t("results.exp.report", { id: e.experiment_id })),
      el("p", {}, t("results.exp.kindLocale", { kind: kindText(e.kind), language: languageText(e.locale) }), " · ", stateText(e)),
      report ? el("p", { id: "exp-verdict", class: `exp-verdict verdict-${report.verdict}`, "data-verdict": report.verdict }, verdictText(report)) : null,
      el("details", { class: "exp-variants" }, el("summary", {}, t("results.exp.variants")),
        el("dl", { class: "details" }, ...(e.variants || []).flatMap((v) => [
          el("dt", {}, v.control ? t("results.exp.control", { name: v.name }) : v.name),
          el("dd", {}, el("q", {}, v.template))]))),
      report && (report.arms || []).length ? table(t("results.exp.arms", { id: e.experiment_id }), [
        { label: "results.col.variant", value: (a) => (a.variant === control.name ? t("results.exp.control", { name: a.variant }) : a.variant) },
        { label: "results.col.appointments", value: (a) => number(a.appointments ?? 0) },
        { label: "results.col.texts", value: (a) => number(a.texts ?? 0) },
        { label: "results.col.confirmationRate", value: (a) => percent(a.confirmation_rate) },
        { label: "results.col.withOutcome", value: (a) => number(a.with_outcome ?? 0) },
        { label: "results.col.noShowRate", value: (a) => percent(a.no_show_rate) },
        { label: "results.col.optOuts", value: (a) => number(a.opt_outs ?? 0) },
      ], report.arms) : null,
      report && (report.comparisons || []).length ? el("figure", { class: "results-figure", id: "exp-diff" },
        chartSlot((width) => differenceChart(report, control.name, width)),
        el("figcaption", { class: "muted small" }, t("results.exp.confidence", { confidence: percent(report.confidence ?? 0.95) }))) : null,
      e.status === "running" ? el("p", {}, el("button", { type: "button", id: "exp-stop", class: "danger" }, t("results.exp.stop"))) : null);
    drawCharts();
  }

  // Stopping asks first: which wording stays (the leader is offered first when there is one).
  function askStop() {
    const e = state.report;
    if (!e || e.status !== "running") return;
    state.stopping = { id: e.experiment_id, done: false };
    const leader = e.report && e.report.verdict === "winner" ? e.report.leader : null;
    const radio = (value, text, checked) => el("label", { class: "check" },
      el("input", { type: "radio", name: "exp-winner", value, checked }), " ", el("span", {}, text));
    $("exp-stop-question").textContent = t("results.exp.stopQuestion", { id: e.experiment_id });
    $("exp-stop-error").textContent = "";
    $("exp-stop-choices").replaceChildren(
      radio("", t("results.exp.keepCurrent"), !leader),
      ...(e.variants || []).map((v) => radio(v.name, t("results.exp.makeDefault", { name: v.name }), v.name === leader)));
    stopCaution();
    $("exp-stop-dialog").showModal();
    $("exp-stop-keep").focus();
  }

  // Making a wording the default while the report has not called it the winner: said once,
  // beside the choice, before the manager confirms.
  function stopCaution() {
    const e = state.report;
    const chosen = $("exp-stop-form").querySelector('input[name="exp-winner"]:checked');
    const report = e && e.report;
    const unproven = Boolean(chosen && chosen.value) && !(report && report.verdict === "winner" && report.leader === chosen.value);
    const caution = $("exp-stop-caution");
    caution.textContent = unproven ? t("results.exp.stopCaution") : "";
    caution.hidden = !unproven;
    if (unproven) chosen.setAttribute("aria-describedby", "exp-stop-caution");
  }

  async function confirmStop(event) {
    event.preventDefault();
    const stopping = state.stopping;
    if (!stopping) return;
    const chosen = $("exp-stop-form").querySelector('input[name="exp-winner"]:checked');
    const winner = chosen && chosen.value ? chosen.value : null;
    $("exp-stop-confirm").disabled = true;
    try {
      const stopped = await RV.api("POST", `/v1/experiments/${encodeURIComponent(stopping.id)}/stop`, { winner });
      stopping.done = true;
      const words = stopped.winner
        ? t("results.exp.stoppedDoneWinner", { id: stopping.id, winner: stopped.winner })
        : t("results.exp.stoppedDone", { id: stopping.id });
      $("exp-message").textContent = words;
      RV.announce(words);
      settingsTemplates = null; // a winner changed the business's templates
      // The report as it is now before the dialog closes, so the focus lands on its heading.
      await loadExperiments().catch(() => {});
      // The new form's control is "your current text": the winner's, if it was prefilled.
      if (stopped.winner) await prefillControl();
      $("exp-stop-dialog").close();
    } catch (error) {
      $("exp-stop-error").textContent = t("results.exp.error", { message: error.message || String(error) });
    } finally {
      $("exp-stop-confirm").disabled = false;
    }
  }

  function stopClosed() {
    const stopping = state.stopping;
    state.stopping = null;
    if (!stopping || !state.visible) return;
    const button = $("exp-stop");
    if (button && !stopping.done) button.focus();
    else if ($("exp-report-heading")) $("exp-report-heading").focus();
  }

  // The API's field paths ("variants.1.template") onto the form's fields.
  function experimentField(path) {
    const found = /^variants\.(\d+)\.(name|template)$/.exec(path || "");
    if (found) return `exp-variant-${Number(found[1]) + 1}-${found[2]}`;
    return { experiment_id: "exp-id", kind: "exp-kind", locale: "exp-locale", description: "exp-description" }[path] || null;
  }

  function clearExperimentErrors() {
    for (const node of $("exp-form").querySelectorAll(".field-error")) node.textContent = "";
    for (const node of $("exp-form").querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  }

  function markField(id, text) {
    const input = $(id);
    if (!input) return false;
    $(`${id}-error`).textContent = text;
    input.setAttribute("aria-invalid", "true");
    return true;
  }

  async function startExperiment(event) {
    event.preventDefault();
    clearExperimentErrors();
    const id = $("exp-id").value.trim();
    const variants = variantValues().map((v) => ({ name: v.name.trim(), template: v.template.trim() }));
    const problems = [];
    if (!id) problems.push(["exp-id", t("results.exp.missing")]);
    else if (!EXPERIMENT_ID_PATTERN.test(id)) problems.push(["exp-id", t("results.exp.badName")]);
    const seen = new Set();
    variants.forEach((v, index) => {
      const n = index + 1;
      if (!v.name || !v.template) problems.push([`exp-variant-${n}-${v.name ? "template" : "name"}`, t("results.exp.missing")]);
      else if (!NAME_PATTERN.test(v.name)) problems.push([`exp-variant-${n}-name`, t("results.exp.badName")]);
      else if (seen.has(v.name)) problems.push([`exp-variant-${n}-name`, t("results.exp.sameNames")]);
      seen.add(v.name);
    });
    if (problems.length) {
      for (const [field, text] of problems) markField(field, text);
      $("exp-form-error").textContent = t("results.exp.invalid");
      $(problems[0][0]).focus();
      return;
    }
    const body = { kind: $("exp-kind").value, locale: $("exp-locale").value, variants };
    const description = $("exp-description").value.trim();
    if (description) body.description = description;
    $("exp-submit").disabled = true;
    try {
      const known = (state.experiments || []).some((e) => e.experiment_id === id);
      await RV.api("PUT", `/v1/experiments/${encodeURIComponent(id)}`, body);
      const words = t(known ? "results.exp.again" : "results.exp.started", { id });
      $("exp-message").textContent = words;
      RV.announce(words);
      $("exp-id").value = "";
      $("exp-description").value = "";
      renderVariantFields([]);
      prefillControl();
      state.reportId = id;
      await loadExperiments();
      $("exp-report-heading")?.focus();
    } catch (error) {
      if (error.status === 409) {
        $("exp-form-error").textContent = t("results.exp.conflict", { message: error.message });
      } else if (error.status === 422 && error.details.length) {
        let first = null;
        for (const detail of error.details) {
          const field = experimentField(detail.field);
          if (field && markField(field, t("results.exp.field", { problem: detail.problem }))) first = first || field;
        }
        $("exp-form-error").textContent = first ? t("results.exp.invalid") : t("results.exp.error", { message: error.details.map((d) => `${d.field}: ${d.problem}`).join("; ") });
        if (first) $(first).focus();
      } else if (error.code !== "stale") {
        $("exp-form-error").textContent = t("results.exp.error", { message: error.message || String(error) });
      }
    } finally {
      $("exp-submit").disabled = false;
    }
  }

  // ---- the tune-out banner (managers, every view) --------------------------------------------
  function tuneOutSignature(tune) {
    return tune && tune.firing ? `${tune.reason}|${tune.opt_outs_7d}|${tune.texts_7d}` : "";
  }

  // "Hide until it changes" outlives a reload and the next sign-in: the hidden figures are
  // kept in localStorage per tenant (only counts, nothing about a customer).
  const TUNE_HIDDEN_KEY = "rendezvous.tuneOutHidden.";
  function storedTuneHidden() {
    const tenant = RV.tenantId();
    if (!tenant) return "";
    try { return localStorage.getItem(TUNE_HIDDEN_KEY + tenant) || ""; } catch { return ""; }
  }

  function storeTuneHidden(signature) {
    const tenant = RV.tenantId();
    if (!tenant) return;
    try { localStorage.setItem(TUNE_HIDDEN_KEY + tenant, signature); } catch { /* private mode: this page only */ }
  }

  async function loadTuneOut() {
    if (RV.role() !== "manager") return;
    const generation = state.generation;
    const tune = await RV.api("GET", "/v1/tune-out");
    if (generation !== state.generation) return;
    const wasFiring = Boolean(state.tuneOut && state.tuneOut.firing);
    state.tuneOut = tune;
    renderTuneOut();
    if (tune.firing && !wasFiring && state.tuneHidden !== tuneOutSignature(tune)) RV.announce(t("results.tune.heading"));
  }

  function renderTuneOut() {
    const box = $("tune-out");
    const tune = state.tuneOut;
    if (!box) return;
    if (!tune || !tune.firing || RV.role() !== "manager" || state.tuneHidden === tuneOutSignature(tune)) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    const figures = {
      rate: number(tune.per_1000_7d ?? 0, 1), count: number(tune.opt_outs_7d ?? 0), texts: number(tune.texts_7d ?? 0),
      limit: number(tune.threshold_per_1000 ?? 10), prior: number(tune.per_1000_prior_28d ?? 0, 1),
    };
    const drawn = tune.drawn_by || [];
    box.hidden = false;
    fill(box,
      el("h2", { id: "tune-out-heading" }, t("results.tune.heading")),
      el("p", {}, t(tune.reason === "doubled" ? "results.tune.doubled" : "results.tune.threshold", figures)),
      drawn.length ? el("p", {}, t("results.tune.drawn")) : null,
      drawn.length ? el("ul", { class: "tune-out-texts" }, ...drawn.map((d) => el("li", { "data-kind": d.kind },
        el("span", { class: "tune-out-kind" }, t(d.variant ? "results.tune.drawnVariant" : "results.tune.drawnLine", {
          kind: kindText(d.kind), variant: d.variant, count: tn("results.tune.optOuts", d.opt_outs ?? 0),
        })),
        d.body ? el("q", { class: "tune-out-body" }, d.body) : null))) : null,
      el("p", { class: "muted small" }, t("results.tune.advice")),
      el("div", { class: "actions" },
        el("button", { type: "button", id: "tune-out-open" }, t("results.tune.open")),
        el("button", { type: "button", id: "tune-out-hide", class: "quiet" }, t("results.tune.hide"))));
    $("tune-out-open").addEventListener("click", () => {
      RV.showView("results");
      $("results-heading")?.focus();
    });
    $("tune-out-hide").addEventListener("click", () => {
      state.tuneHidden = tuneOutSignature(state.tuneOut);
      storeTuneHidden(state.tuneHidden);
      renderTuneOut();
      $("main").focus();
    });
  }

  // ---- the view ----------------------------------------------------------------------------
  function load(force) {
    if (!state.visible) return Promise.resolve();
    const manager = RV.role() === "manager";
    $("results-experiments").hidden = !manager;
    const work = [loadStats(force)];
    if (manager && (force || state.experiments === null)) work.push(loadExperiments().catch((error) => quietlyExp(Promise.reject(error))));
    return Promise.all(work);
  }

  function show() {
    build();
    state.visible = true;
    $("view-results").hidden = false;
    if (RV.role() === "manager" && !$("exp-variant-1-template").value) prefillControl();
    quietly(load(false));
  }

  function hide() {
    state.visible = false;
    $("view-results").hidden = true;
    if (state.built && $("exp-stop-dialog").open) $("exp-stop-dialog").close();
  }

  function reset() {
    state.generation += 1;
    Object.assign(state, { stats: null, statsAt: 0, experiments: null, report: null, reportId: null, tuneOut: null, tuneHidden: "" });
    settingsTemplates = null;
    renderTuneOut();
    if (state.built) {
      $("results-tiles").replaceChildren();
      $("results-charts").replaceChildren();
      $("exp-rows").replaceChildren();
      $("exp-message").textContent = "";
      renderReport();
      say("");
    }
  }

  function relabel() {
    translateStatic();
    renderTuneOut();
    if (state.built && state.visible) {
      renderStats();
      renderExperiments();
      renderReport();
    }
  }

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    // Only the pictures: the report's buttons and whatever has the focus stay as they are.
    resizeTimer = setTimeout(() => { if (state.visible) drawCharts(true); }, 200);
  });

  // The shell's scheduler calls refresh() every minute while the view is on screen; the
  // figures themselves are fetched again only when 5 minutes old.
  RV.registerView("results", {
    label: "nav.results", roles: ["manager", "staff"], show, hide,
    refresh: () => load(false),
  });
  RV.poll("tune-out", TUNE_OUT_EVERY_MS, () => loadTuneOut());
  RV.onSignedIn(() => {
    reset();
    state.tuneHidden = storedTuneHidden();
    if (RV.role() === "manager") loadTuneOut().catch(() => {});
  });
  RV.onSignedOut(() => { reset(); if (state.built) hide(); });
  RV.onLocale(relabel);
})();
