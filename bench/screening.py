"""Screening benchmark: latency, recall and false positives of ``screening.ScreeningIndex``.

Usage::

    .venv/bin/python -m bench.screening              # 100 000 names and aliases, 2 000 queries per set
    .venv/bin/python -m bench.screening --smoke      # 5 000 names, 200 queries; well under 20 s
    .venv/bin/python -m bench.screening --names 50000 --queries 1000 --seed 7
    .venv/bin/python -m bench.screening --check      # exit 1 when a target is missed

Everything is generated offline from a seed: a synthetic restricted-party list of N distinct names and
aliases (as the index counts them: spellings that normalise alike are one name), companies and people
from Latin, Russian, Arabic and Chinese naming cultures, with legal forms, aliases, native-script
spellings and countries, one entry per name. Then two query sets:

* ``--queries`` variants of listed names, the kinds in turn: transliteration (Cyrillic or Chinese
  script; another romanisation: Mohammed/Muhammad, Sergey/Sergei, -ov/-off, Muller/Mueller,
  Xiaoping/Xiao-ping), word order, punctuation and case, legal form (changed, added or removed), typos
  (one keyboard slip - insert, delete, substitute a neighbouring key, swap; one or two in names of more
  than 12 letters, legal forms and articles aside), a middle token dropped or added (a patronymic,
  middle name, or a generic word such as "General" or "International"). Recall is the share of
  variants whose entry is among the results at or above the review threshold (88).
* ``--queries`` unrelated names from the same generators (another seed). A generated name that is a
  variant of a listed name under the kinds above cannot count as unrelated, so it is set aside (and
  counted in the output): listed as it is, a token subset or superset of a listed name (the
  dropped/added token kind), or within the typo kind's edit distance of one. The false-positive rate is
  the share of the rest that return any match at or above the threshold.

Latency is the wall-clock time of each ``search()`` call over both sets (``time.perf_counter``), in one
thread, starting from a cold per-token cache. The targets (brief): median <= 2 ms, recall >= 0.98, false
positives <= 1 %. It is a measurement: the exit code is 0 unless ``--check`` is given.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from anyascii import anyascii
from rapidfuzz import process
from rapidfuzz.distance import OSA

from screening import ListEntry, ScreeningIndex
from screening.index import index_tokens

REVIEW_THRESHOLD = 88.0
TARGET_MEDIAN_MS = 2.0
TARGET_RECALL = 0.98
TARGET_FP = 0.01


def _words(text: str) -> list[str]:
    return text.split()


# --- vocabularies ----------------------------------------------------------------------------------------

RU_MALE = _words(
    """
    Aleksandr Aleksey Anatoliy Andrey Anton Arkadiy Artem Boris Vadim Valentin Valeriy Vasiliy
    Viktor Vitaliy Vladimir Vladislav Vyacheslav Gennadiy Georgiy Gleb Grigoriy Daniil Denis Dmitriy
    Evgeniy Egor Ivan Igor Ilya Kirill Konstantin Leonid Maksim Mikhail Nikita Nikolay Oleg Pavel
    Petr Roman Ruslan Sergey Stanislav Stepan Timur Fedor Yuriy Yaroslav Semen Lev Matvey Arseniy
    Eduard Rostislav Taras Filipp Zakhar Savva Vsevolod Bogdan Yakov Timofey Emil Rodion Efim Nazar
    Platon
    """
)
RU_FEMALE = _words(
    """
    Anna Alla Anastasiya Valentina Vera Galina Darya Ekaterina Elena Elizaveta Zhanna Irina Kseniya
    Larisa Lyudmila Marina Mariya Nadezhda Natalya Nina Oksana Olga Polina Svetlana Tatyana Yuliya
    Yana Lidiya Tamara Zoya Alina Viktoriya Diana Kristina Veronika Arina Sofiya Margarita Evgeniya
    """
)
RU_SURNAMES = _words(
    """
    Ivanov Smirnov Kuznetsov Popov Vasilyev Petrov Sokolov Mikhaylov Novikov Fedorov Morozov Volkov
    Alekseyev Lebedev Semenov Egorov Pavlov Kozlov Stepanov Nikolayev Orlov Andreyev Makarov Nikitin
    Zakharov Zaytsev Solovyev Borisov Yakovlev Grigoryev Romanov Vorobyev Sergeyev Kuzmin Frolov
    Aleksandrov Dmitriyev Korolev Gusev Kiselev Ilyin Maksimov Polyakov Sorokin Vinogradov Kovalev
    Belov Medvedev Antonov Tarasov Zhukov Baranov Filippov Komarov Davydov Belyayev Gerasimov
    Bogdanov Osipov Sidorov Matveyev Titov Markov Mironov Krylov Kulikov Karpov Vlasov Melnikov
    Denisov Gavrilov Tikhonov Kazakov Afanasyev Danilov Savelyev Timofeyev Fomin Chernov Abramov
    Martynov Efimov Fedotov Shcherbakov Nazarov Kalinin Isayev Chernyshev Bykov Maslov Rodionov
    Konovalov Lazarev Voronin Klimov Filatov Ponomarev Golubev Kudryavtsev Prokhorov Naumov Potapov
    Zhuravlev Ovchinnikov Trofimov Leonov Sobolev Ermakov Kolesnikov Goncharov Emelyanov Nikiforov
    Grachev Kotov Grishin Efremov Arkhipov Gromov Kirillov Malyshev Panov Moiseyev Rumyantsev Akimov
    Kondratyev Biryukov Gorbunov Anisimov Eremin Tikhomirov Galkin Lukyanov Mikheyev Skvortsov Yudin
    Belousov Nesterov Simonov Prokofyev Kharitonov Knyazev Tsvetkov Levin Mitrofanov Voronov Aksenov
    Sofronov Maltsev Loginov Gorshkov Savin Krasnov Mayorov Demidov Eliseyev Rybakov Safonov
    Plotnikov Demin Khokhlov Zhdanov Ryabov Kuzin Shirokov Shevchenko Kovalenko Bondarenko Tkachenko
    Kravchenko Boyko Lysenko Marchenko Rudenko Savchenko Petrenko Kuzmenko Pavlenko Yakovenko
    Zinchenko Levchenko Klimenko Karpenko Ostrovsky Zhukovsky Kovalsky Vishnevsky Yablonsky
    Pokrovsky Rozhdestvensky Dobrovolsky
    """
)
# Surname roots for a larger, realistic space of Russian-looking surnames beyond the common ones.
RU_ROOTS = _words(
    """
    Bel Chern Sed Gorb Kurch Lys Tolst Tonk Dolg Korot Bystr Tikh Grom Zvon Medv Volch Lis Zay Sokol
    Orl Yastreb Kukushk Gus Lebed Zhuravl Sinits Solov Vorob Galk Sorok Vorontz Drozd Skvorts
    Kuropatk Bobr Kun Sobol Barsuk Kabanch Telyat Kozl Baran Bych Korov Kon Zherebts Kobyl Kot Kosh
    Mysh Krys Zhuk Komar Mukh Pchel Shmel Os Rybk Shchuk Karas Lesh Ersh Okun Sig Sudak Seld Kit Mor
    Rek Oz Gor Dol Pol Les Bor Dub Ber Klen Lip Yasen Sosn El Pikht Kedr Ryabin Kalin Malin Vishn
    Grush Yablon Slivk Orekh Zhelud Kamen Pesk Glin Zolot Serebr Medn Zhelezn Olov Svints Stal Chug
    Kuzn Kovl Stolyar Plotnik Gonchar Kozhev Sapozh Portn Tkach Mel Pekar Povar Kupts Torg Vozn
    Pastukh Okhotn Rybol Mytn Pisar Dyak Pop Dyakon Mon Igumen Knyaz Boyar Dvoryan Kholop Smerd
    Strel Pushkar Kazach Ataman Esaul Sotn Tysyatsk
    """
)
RU_SUFFIXES = ["ov", "ev", "in", "ikov", "enko", "sky", "ovsky", "ich", "yuk", "ukhin", "ishin", "anov"]
RU_COMPANY_PREFIXES = _words(
    """
    Ural Sib Volga Don Kama Neva Baltik Tekhno Prom Neft Gaz Energo Mash Stroy Avia Radio Elektro
    Spets Tyazh Agro Khim Metall Opt Nauch Inter Trans Rus Ros Zapad Vostok Sever Yug Tsentr Kvant
    Lazer Optik Mikro Nano Kompozit Sistem Resurs Impuls Signal Vektor Granit Almaz Kristall Sokol
    Berkut Orion Zenit Polyus Rubin Amur Baykal Altay Yenisey Irtysh Angara Lena Pechora Onega
    Ladoga Taymyr Sakhalin Kuban Tula Kaluga Tver Pskov Omsk Tomsk Perm Samara Kazan
    """
)
RU_COMPANY_SUFFIXES = _words(
    """
    prom mash stroy tekh servis komplekt snab torg invest energo avtomatika pribor elektronika
    sistemy tekhnologii resurs trans logistik montazh proekt nauka khim met lit press svyaz soft
    kontrol
    """
)
RU_COMPANY_WORDS = _words(
    """
    Dinamika Tekhnologii Sistemy Elektronika Mashinostroenie Logistika Energetika Avtomatika Khimiya
    Optika Kompozity Resursy Priborostroenie Radiotekhnika Mekhanika Gidravlika Metallurgiya
    Stroitelstvo Promyshlennost Kompleks Proizvodstvo Postavka Snabzhenie Torgovlya
    """
)
RU_COMPANY_QUALIFIERS = [
    "NPO",
    "NPP",
    "Torgovyy Dom",
    "Gruppa Kompaniy",
    "Zavod",
    "Kombinat",
    "Konstruktorskoe Byuro",
]
RU_LEGAL = ["OOO", "AO", "ZAO", "OAO", "PAO", "OOO", "OOO", "AO"]

AR_MALE = _words(
    """
    Mohammed Ahmed Ali Omar Khalid Hassan Hussein Abdullah Abdulrahman Ibrahim Yousef Mustafa
    Mahmoud Tariq Faisal Saeed Salem Nasser Jamal Karim Samir Walid Rashid Hamza Bilal Majid Adel
    Fahad Sultan Ziad Nabil Hamid Amir Anas Yasser Osama Marwan Imad Jaber Hisham Kamal Sami Riyad
    Qasim Mansour Hani Ayman Bassam Fadi Ghassan Hazem Ismail Jawad Khalil Luay Munir Nizar Raed
    Suleiman Younis Zakaria Haitham Mazen Talal Murad Ammar Badr Firas Ghazi Habib Idris Jalal
    Kadhim Latif Mahdi Nadim Qais Rami Shadi Tamer Wael Yahya Zuhair Abbas Akram Bashar Emad Faris
    Hakim Jihad Khaldoun Mamdouh Nouri Rafiq Sabri Taha Usama Wisam
    """
)
AR_FEMALE = _words(
    """
    Fatima Aisha Maryam Layla Noor Huda Rania Salma Zainab Amina Yasmin Hanan Samira Dina Lina Reem
    Nadia Sara Mona Hala Dalia Rasha Suha Ghada Nawal Amal Iman Lubna Maha Najwa
    """
)
AR_FAMILY = _words(
    """
    Rashid Sayed Haddad Khoury Nasser Masri Tamimi Hashimi Qahtani Otaibi Ghamdi Zahrani Shamsi
    Mansouri Nuaimi Mazrouei Kaabi Suwaidi Falasi Saleh Hamdan Darwish Abboud Jaber Farouk Hijazi
    Barakat Aziz Kassem Shalabi Amin Bakri Jabouri Dulaimi Obeidi Khatib Khalifa Suleiman Younis
    Issa Rahman Hakim Sabbagh Najjar Attar Tahan Sharif Qureshi Ansari Husseini Jaafari Kubaisi Rawi
    Tikriti Anbari Karbouli Shammari Harbi Mutairi Dosari Subaie Anazi Juhani Shehri Asmari Zahrani
    Malki Ahmadi Hammadi Baghdadi Halabi Dimashqi Maqdisi Masoud Awad Bitar Daher Fakhoury Ghanem
    Haidar Jarrah Karam Maalouf Nassar Rizk Sabra Tannous Zein Abdelaziz Mubarak Shaheen Fawaz
    Hamadi Jubouri Sultani Azzam Khoury Bazzi Salloum Chami Mokdad
    """
)
AR_WITH_ARTICLE = set(
    _words(
        """
        Rashid Sayed Masri Tamimi Hashimi Qahtani Otaibi Ghamdi Zahrani Shamsi Mansouri Nuaimi
        Mazrouei Kaabi Suwaidi Falasi Amin Bakri Jabouri Dulaimi Obeidi Khatib Ansari Husseini
        Jaafari Kubaisi Rawi Tikriti Anbari Karbouli Shammari Harbi Mutairi Dosari Subaie Anazi
        Juhani Shehri Asmari Malki Ahmadi Hammadi Baghdadi Halabi Dimashqi Maqdisi Jubouri Sultani
        """
    )
)
AR_COMPANY_WORDS = _words(
    """
    Noor Amal Hilal Sahara Zahra Rimal Waha Nakheel Burj Jazeera Khaleej Fajr Safa Marwa Baraka
    Rayan Wafa Najma Qamar Shams Bahr Sahil Jabal Wadi Nahr Faris Saqr Nasr Majd Ittihad Tadamon
    Ameen Rawabi Dana Lulu Manar Mashreq Sharq Diyar Reef Yamama Hayat Salam Iman Ihsan Tawfiq Razi
    Kindi Farabi Jazira Thuraya Zumurrud Yaqout Marjan Firdous Bustan Rabie Dhahab Fidda Nujoom
    Sahab Ghaith Barq Raad Assifa
    """
)
AR_COMPANY_INDUSTRY = [
    "General Trading",
    "Trading",
    "Shipping",
    "Logistics",
    "Electronics",
    "Oil Field Services",
    "Petroleum Services",
    "Contracting",
    "Technical Services",
    "Import Export",
    "Marine Services",
    "Industrial Equipment",
    "Spare Parts",
    "Engineering",
    "Technology",
    "Aviation Services",
]
AR_LEGAL = ["LLC", "L.L.C.", "FZE", "FZCO", "FZ-LLC", "W.L.L.", "Est.", "Co.", "LLC", "FZE"]

CN_SURNAMES = {
    "wang": "王",
    "li": "李",
    "zhang": "张",
    "liu": "刘",
    "chen": "陈",
    "yang": "杨",
    "huang": "黄",
    "zhao": "赵",
    "wu": "吴",
    "zhou": "周",
    "xu": "徐",
    "sun": "孙",
    "ma": "马",
    "zhu": "朱",
    "hu": "胡",
    "guo": "郭",
    "he": "何",
    "gao": "高",
    "lin": "林",
    "luo": "罗",
    "zheng": "郑",
    "liang": "梁",
    "xie": "谢",
    "song": "宋",
    "tang": "唐",
    "han": "韩",
    "feng": "冯",
    "deng": "邓",
    "cao": "曹",
    "peng": "彭",
    "xiao": "肖",
    "tian": "田",
    "dong": "董",
    "pan": "潘",
    "yuan": "袁",
    "cai": "蔡",
    "jiang": "蒋",
    "yu": "余",
    "du": "杜",
    "ye": "叶",
    "cheng": "程",
    "wei": "魏",
    "su": "苏",
    "lu": "卢",
    "ding": "丁",
    "ren": "任",
    "shen": "沈",
    "yao": "姚",
    "jin": "金",
    "fu": "付",
    "zhong": "钟",
    "cui": "崔",
    "tan": "谭",
    "liao": "廖",
    "fan": "范",
    "wan": "万",
    "qian": "钱",
    "dai": "戴",
    "mo": "莫",
    "kong": "孔",
    "bai": "白",
    "qiu": "邱",
    "xia": "夏",
    "hou": "侯",
    "shi": "石",
    "gu": "顾",
    "meng": "孟",
    "long": "龙",
    "duan": "段",
    "lei": "雷",
    "qin": "秦",
    "yin": "尹",
    "xue": "薛",
    "yan": "严",
    "hao": "郝",
    "kang": "康",
    "qi": "齐",
}
CN_GIVEN = {
    "wei": "伟",
    "fang": "芳",
    "na": "娜",
    "min": "敏",
    "jing": "静",
    "li": "丽",
    "qiang": "强",
    "lei": "磊",
    "jun": "军",
    "yang": "洋",
    "yong": "勇",
    "yan": "艳",
    "jie": "杰",
    "juan": "娟",
    "tao": "涛",
    "ming": "明",
    "chao": "超",
    "xiu": "秀",
    "ying": "英",
    "hua": "华",
    "hui": "慧",
    "gang": "刚",
    "ping": "平",
    "hong": "红",
    "xia": "霞",
    "bo": "波",
    "bin": "斌",
    "lin": "林",
    "feng": "峰",
    "dong": "东",
    "hai": "海",
    "long": "龙",
    "peng": "鹏",
    "qing": "清",
    "rong": "荣",
    "shan": "山",
    "tian": "天",
    "wen": "文",
    "xin": "新",
    "xiao": "小",
    "yu": "宇",
    "zhi": "志",
    "zhen": "振",
    "zhong": "忠",
    "kai": "凯",
    "kun": "坤",
    "liang": "亮",
    "mei": "梅",
    "ning": "宁",
    "qi": "琪",
    "rui": "瑞",
    "shu": "淑",
    "song": "松",
    "ting": "婷",
    "xue": "雪",
    "yi": "毅",
    "yun": "云",
    "zhe": "哲",
    "jia": "佳",
    "hao": "浩",
    "yuan": "元",
    "chen": "晨",
    "guo": "国",
    "de": "德",
    "cheng": "成",
    "an": "安",
    "bao": "宝",
    "cai": "才",
    "dan": "丹",
    "fei": "飞",
    "guang": "光",
    "han": "涵",
    "jian": "建",
    "lan": "兰",
    "le": "乐",
    "nan": "楠",
    "pei": "培",
    "qian": "倩",
    "ran": "然",
    "sheng": "胜",
    "xiang": "翔",
}
CN_BRAND_SYLLABLES = sorted(
    set(CN_GIVEN)
    | set(
        _words(
            """
            ai ang ao ba bai ban bang bei ben bi bian biao bie bing bu ca can cang ce cen chang che
            chu chuan chuang chun ci cong cu cuan cun cuo da dai dao deng di dian diao die ding dou
            du duan dui dun duo e en er fa fan fen fo fou fu ga gai gan gao ge gei gen geng gong gou
            gu gua guai guan gui gun ha hai hang hen heng hou hu huai huan huang hun huo ji jiao jiu
            ju juan jue ka kan kang ke ken keng kong kou ku kua kuai kuan kuang kui kuo la lai lang
            lao lei leng lian liao lie liu lou lu luan lun luo lv mai man mang mao men mi mian miao
            mie min mo mou mu nai nang nao nei neng ni nian niao nie niu nong nu nuo ou pa pai pang
            pao pen pi pian piao pin po pu qia qiao qie qin qiong qu quan que qun rang rao re ren
            reng ri rou ru ruan run ruo sa sai sang sao se sen sha shai shang shao she shen shou
            shuai shuang shui shun shuo si sou sui sun suo ta tai tang te teng ti tiao tie tong tou
            tu tuan tui tun tuo wa wai wang wei weng wo xi xian xiang xie xiong xu xuan xun ya yao
            ye yin yong you yue zai zan zang zao ze zeng zha zhai zhan zhang zhao zhou zhu zhuan
            zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
            """
        )
    )
)
CN_CITIES = _words(
    """
    Shenzhen Shanghai Beijing Guangzhou Tianjin Hangzhou Nanjing Wuhan Chengdu Chongqing Xian Dalian
    Qingdao Xiamen Suzhou Ningbo Dongguan Foshan Harbin Shenyang Changsha Zhengzhou Jinan Hefei
    Fuzhou Kunming Wuxi Changzhou Nantong Yantai Zhuhai Zhongshan Huizhou Shantou Taiyuan Nanchang
    Guiyang Nanning Lanzhou Urumqi Hohhot Shijiazhuang Tangshan Baotou Luoyang Weifang Zibo Yiwu
    Wenzhou Shaoxing Jiaxing
    """
)
CN_INDUSTRY = [
    "Technology",
    "Electronics",
    "Electronic Technology",
    "Science and Technology",
    "Precision Machinery",
    "New Material",
    "Optoelectronics",
    "Industrial",
    "Import and Export",
    "Trading",
    "Machinery",
    "Instrument",
    "Semiconductor",
    "Chemical",
    "Metal Products",
    "Communication Technology",
    "Intelligent Equipment",
    "Aviation Technology",
    "Marine Equipment",
    "Automation",
    "Photonics",
]

LA_FIRST = _words(
    """
    John Michael David James Robert William Thomas Richard Peter Paul Mark Andrew Daniel Stephen
    George Edward Charles Christopher Brian Kevin Hans Klaus Jürgen Wolfgang Stefan Andreas Matthias
    Jörg Uwe Dieter Günter Werner Helmut Frank Markus Tobias Florian Lukas Jean Pierre François
    Jacques Philippe Nicolas Olivier Laurent Michel Alain Émile Luc José Juan Carlos Luis Javier
    Miguel Antonio Fernando Alejandro Pablo Jorge Andrés Raúl Giuseppe Giovanni Marco Luca Francesco
    Alessandro Matteo Roberto Stefano Paolo Mary Sarah Anna Maria Elena Sophie Claire Isabelle
    Monika Sabine Ursula Petra Carmen Lucía Giulia Francesca Laura Julia Emma Katharina Hélène Chloé
    Inés Patrick Sean Liam Connor Henrik Lars Nils Sven Jan Pieter Joost Bram Tomasz Piotr Krzysztof
    Marek Pavel Jakub Ondřej Tomáš Zoltán László Gábor
    """
)
LA_SURNAMES = _words(
    """
    Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin
    Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill
    Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards
    Collins Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly Howard
    Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price Sanders Myers Long Ross Foster
    Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer
    Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange
    Schmitt Werner Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer
    Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Vogel Friedrich Keller Günther
    Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus
    Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas Dubois Durand
    Lefebvre Leroy Moreau Laurent Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Lefèvre
    Faure André Mercier Blanc Guérin Boyer Garnier Chevalier Legrand Gauthier Perrin Robin Clément
    Morin Henry Roussel Mathieu Gautier Masson Marchand Duval Denis García Fernández González
    Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Moreno Álvarez
    Muñoz Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco
    Molina Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti
    Mancini Costa Giordano Rizzo Lombardi Moretti O'Brien O'Connor Byrne Gallagher Doyle Quinn
    Lindqvist Johansson Nilsson Eriksson Larsen Nielsen Jensen Hansen Pedersen Kowalski Nowak
    Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Dvořák Novák Svoboda Horváth Kovács Szabó Tóth
    Nagy Varga Janssen DeVries Bakker Visser Smit Meijer Mulder
    """
)
LA_SURNAME_PARTS = _words(
    """
    Ash Black Brad Brook Burn Cald Chad Clay Cole Crom Dal Dun East Fair Farn Ford Glen Good Hal Har
    Hart Hay Hol Kil Kings Lang Lin Mar Mid Mill New North Oak Pen Red Ros Rut Sand Stan Stock Thorn
    Wal War Wen West Whit Win Wood Alt Bach Berg Blum Brun Eich Feld Fried Gold Grün Hirsch Hoch
    Kalt Kirch Lind Mann Neu Ober Rosen Schön Stein Tal Wald Weiss Wein Zell
    """
)
LA_SURNAME_ENDS = _words(
    """
    ley ton ford field wood worth by ham well more son man berg stein mann feld bach hof thal heim
    ner er ing
    """
)
LA_BRANDS = _words(
    """
    Atlas Nordic Pacific Atlantic Summit Apex Vertex Zenith Horizon Pinnacle Meridian Sterling Crown
    Eagle Falcon Phoenix Orion Polaris Vega Titan Delta Sigma Omega Alpha Nova Stellar Quantum
    Vector Matrix Fusion Synergy Alpine Baltic Danube Rhine Elbe Hansa Borealis Aurora Cascade
    Granite Silverline Goldcrest Bluewater Redstone Greenfield Blackrock Ironbridge Steelhead
    Crystal Diamond Emerald Sapphire Cedar Pinewood Riverside Lakeshore Oceanic Harbor Bridgeway
    Gateway Tower Starlight Suncoast Moonstone Skyline Windmill Firestone Stonewall Baystar Coastal
    Valleyview Ridgeline Northgate Southport Eastwind Westbrook Centrix United Allied Premier Prime
    Royal Imperial Liberty Pioneer Frontier Heritage Legacy Vanguard Sentinel Guardian Keystone
    Cornerstone Benchmark Paragon Sovereign Regent Monarch Empire Dominion Citadel Bastion Beacon
    Lighthouse Compass Anchor Mariner Navigator Voyager Odyssey Explorer Trident Neptune Poseidon
    Mercury Jupiter Saturn Apollo Helios Atlasco Kronos Argus Hermes Castor Pollux Lyra Cygnus Draco
    Aquila Corvus Lynx Puma Jaguar Condor Osprey Kestrel Merlin Heron Albatross Pelican Raven
    Sparrow Swift Tern Wren
    """
)
LA_INDUSTRY = _words(
    """
    Trading Logistics Shipping Electronics Technologies Technology Systems Solutions Industries
    Engineering Machinery Components Instruments Devices Materials Chemicals Metals Energy Petroleum
    Aviation Aerospace Marine Maritime Navigation Optics Photonics Semiconductors Microsystems
    Software Networks Communications Telecom Robotics Automation Controls Sensors Precision Tools
    Manufacturing Fabrication Supply Supplies Equipment Imports Exports Distribution Holdings
    Partners Enterprises Ventures Resources Minerals Mining Construction Projects Services
    Consulting Laboratories Research Dynamics Mechanics Hydraulics Pneumatics Power Electric Motors
    Transport Freight Forwarding Cargo Feinmechanik Maschinenbau Elektronik Antriebstechnik
    Messtechnik Handel Logistik Industrie Technik
    """
)
LA_LEGAL = _words(
    """
    Ltd Limited LLC Inc. Corp. Corporation GmbH AG S.A. SARL S.r.l. S.p.A. B.V. N.V. S.L. PLC LLP
    GmbH&Co.KG Pty.Ltd. Pte.Ltd. Oy AB A/S
    """
)
GENERIC_WORDS = [
    "General",
    "International",
    "Group",
    "Holding",
    "Global",
    "Industrial",
    "Worldwide",
    "Overseas",
]

COUNTRIES = {
    "ru": ["RU", "RU", "RU", "BY", "KZ", "AM", "KG"],
    "ar": ["AE", "AE", "IR", "SY", "IQ", "LB", "SA", "OM", "QA", "JO", "YE"],
    "cn": ["CN", "CN", "CN", "HK", "HK", "MO", "SG"],
    "la": ["DE", "GB", "FR", "ES", "IT", "NL", "CH", "US", "CY", "TR", "PL", "CZ", "HU", "SE"],
}
PROGRAMS = [
    "EAR",
    "SDN",
    "IRAN",
    "RUSSIA-EO14024",
    "UKRAINE-EO13662",
    "NPWMD",
    "SDGT",
    "CAATSA - RUSSIA",
    "DPRK3",
]
SOURCES = [
    "Entity List (EL) - Bureau of Industry and Security",
    "Specially Designated Nationals (SDN) - Treasury Department",
    "Unverified List (UVL) - Bureau of Industry and Security",
    "Military End User (MEU) List - Bureau of Industry and Security",
    "Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department",
]

KEYBOARD = {
    "q": "wa",
    "w": "qes",
    "e": "wrd",
    "r": "etf",
    "t": "ryg",
    "y": "tuh",
    "u": "yij",
    "i": "uok",
    "o": "ipl",
    "p": "ol",
    "a": "qsz",
    "s": "awdz",
    "d": "sefx",
    "f": "drgc",
    "g": "fthv",
    "h": "gyjb",
    "j": "hukn",
    "k": "jilm",
    "l": "kop",
    "z": "asx",
    "x": "zsdc",
    "c": "xdfv",
    "v": "cfgb",
    "b": "vghn",
    "n": "bhjm",
    "m": "njk",
}

# Latin -> Cyrillic for Russian romanisations (longest first); the way back is anyascii, which
# romanises differently in places (Vasilyev -> Vasil'ev), as real documents do.
_RU_LATIN = _words("shch yo zh kh ts ch sh yu ya ye iy yy a b v g d e z i y k l m n o p r s t u f c h j w x q")
_RU_CYRILLIC = _words("щ ё ж х ц ч ш ю я е ий ый а б в г д е з и й к л м н о п р с т у ф к х й в кс к")  # noqa: RUF001
_RU_TO_CYRILLIC = list(zip(_RU_LATIN, _RU_CYRILLIC, strict=True))
_RU_ROMANISATION = [
    ("iy", "i"),
    ("iy", "y"),
    ("yu", "iu"),
    ("ya", "ia"),
    ("kh", "h"),
    ("ye", "e"),
    ("zh", "j"),
    ("ts", "tz"),
    ("ov$", "off"),
    ("ev$", "eff"),
    ("y", "i"),
    ("ks", "x"),
    ("sky$", "ski"),
    ("ey", "ei"),
    ("e", "ye"),
]
_AR_SPELLINGS = {
    "Mohammed": ["Muhammad", "Mohamed", "Mohammad", "Muhammed"],
    "Ahmed": ["Ahmad"],
    "Hussein": ["Husayn", "Hussain", "Husein"],
    "Hassan": ["Hasan"],
    "Yousef": ["Yusuf", "Youssef", "Yousif"],
    "Mustafa": ["Moustafa", "Mostafa"],
    "Mahmoud": ["Mahmud", "Mahmood"],
    "Omar": ["Umar"],
    "Khalid": ["Khaled"],
    "Saeed": ["Said", "Saied"],
    "Abdullah": ["Abdallah"],
    "Abdulrahman": ["Abdelrahman", "Abdurrahman"],
    "Tariq": ["Tarek", "Tareq"],
    "Faisal": ["Faysal", "Feisal"],
    "Nasser": ["Nasir", "Naser"],
    "Walid": ["Waleed"],
    "Osama": ["Usama", "Oussama"],
    "Ibrahim": ["Ebrahim"],
    "Ismail": ["Ismael", "Esmail"],
    "Qasim": ["Kassem", "Qassem"],
    "Suleiman": ["Sulaiman", "Soliman"],
    "Younis": ["Yunus", "Younes"],
    "Jamal": ["Gamal"],
    "Hamza": ["Hamzah"],
    "Yasser": ["Yasir"],
    "Zakaria": ["Zakariya"],
    "Fatima": ["Fatimah", "Fatma"],
    "Aisha": ["Aysha", "Aicha"],
    "Maryam": ["Mariam"],
    "Zainab": ["Zeinab"],
    "Layla": ["Leila", "Laila"],
    "Huda": ["Houda"],
    "Majid": ["Majed"],
    "Fahad": ["Fahd"],
}
_AR_RULES = [
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("q", "k"),
    ("ei", "ay"),
    ("ah", "a"),
    ("ss", "s"),
    ("mm", "m"),
    ("dh", "z"),
    ("th", "s"),
    ("aa", "a"),
    ("i", "ee"),
    ("u", "ou"),
]
_LATIN_SPELLINGS = [
    ("ü", "ue"),
    ("ö", "oe"),
    ("ä", "ae"),
    ("ß", "ss"),
    ("é", "e"),
    ("è", "e"),
    ("á", "a"),
    ("í", "i"),
    ("ó", "o"),
    ("ú", "u"),
    ("ñ", "n"),
    ("ç", "c"),
    ("ř", "r"),
    ("š", "s"),
    ("ń", "n"),
    ("ś", "s"),
    ("ł", "l"),
]


# --- the synthetic list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    text: str
    culture: str  # ru | ar | cn | la
    person: bool


class Names:
    """Generators of realistic names, seeded."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ru_surnames = RU_SURNAMES + [r + s for r in RU_ROOTS for s in RU_SUFFIXES]
        self.la_surnames = LA_SURNAMES + [a + b.lower() for a in LA_SURNAME_PARTS for b in LA_SURNAME_ENDS]
        self.cn_given = [g for g, char in CN_GIVEN.items() if anyascii(char).lower() == g]
        self.cn_surnames = [s for s, char in CN_SURNAMES.items() if anyascii(char).lower() == s]

    def any(self) -> Named:
        culture = self.rng.choices(["la", "ru", "ar", "cn"], weights=[30, 25, 25, 20])[0]
        if self.rng.random() < 0.45:
            return self.person(culture)
        return self.company(culture)

    # people

    def person(self, culture: str) -> Named:
        rng = self.rng
        if culture == "ru":
            female = rng.random() < 0.3
            first = rng.choice(RU_FEMALE if female else RU_MALE)
            surname = rng.choice(self.ru_surnames)
            if female and surname.endswith(("ov", "ev", "in")):
                surname += "a"
            elif female and surname.endswith("sky"):
                surname = surname[:-1] + "aya"
            father = rng.choice(RU_MALE)
            stem = father[:-1] if father.endswith(("iy", "ey", "ay")) else father
            patronymic = stem + ("ovna" if female else "ovich")
            if father.endswith(("iy", "ey", "ay")):
                patronymic = father[:-1] + ("evna" if female else "evich")
            parts = [first, patronymic, surname] if rng.random() < 0.75 else [first, surname]
        elif culture == "ar":
            female = rng.random() < 0.2
            first = rng.choice(AR_FEMALE if female else AR_MALE)
            family = rng.choice(AR_FAMILY)
            if family in AR_WITH_ARTICLE:
                family = rng.choice(["Al-", "Al ", "al-"]) + family
            parts = [first]
            if rng.random() < 0.6:
                parts += [rng.choice(["bin", "ibn"])] if rng.random() < 0.3 and not female else []
                parts.append(rng.choice(AR_MALE))
            if rng.random() < 0.25:
                parts.append(rng.choice(AR_MALE))
            parts.append(family)
        elif culture == "cn":
            surname = rng.choice(self.cn_surnames)
            given = "".join(rng.choice(self.cn_given) for _ in range(rng.choice([1, 2, 2, 2])))
            parts = [surname.capitalize(), given.capitalize()]
        else:
            first = rng.choice(LA_FIRST)
            parts = [first]
            if rng.random() < 0.3:
                parts.append(rng.choice(LA_FIRST))
            parts.append(rng.choice(self.la_surnames))
        return Named(" ".join(parts), culture, True)

    # companies

    def company(self, culture: str) -> Named:
        rng = self.rng
        if culture == "ru":
            prefix = rng.choice(RU_COMPANY_PREFIXES)
            style = rng.random()
            if style < 0.45:
                brand = prefix + rng.choice(RU_COMPANY_SUFFIXES)
                if rng.random() < 0.25:
                    brand += rng.choice(RU_COMPANY_SUFFIXES)
            elif style < 0.75:
                brand = f"{rng.choice(self.ru_surnames)} {rng.choice(RU_COMPANY_WORDS)}"
            else:
                brand = f"{prefix}{rng.choice(RU_COMPANY_SUFFIXES)} {rng.choice(RU_COMPANY_WORDS)}"
            if rng.random() < 0.2:
                brand = f"{rng.choice(RU_COMPANY_QUALIFIERS)} {brand}"
            legal = rng.choice(RU_LEGAL)
            text = f"{legal} {brand}" if rng.random() < 0.5 else f"{brand} {legal}"
        elif culture == "ar":
            words = [rng.choice(AR_COMPANY_WORDS)]
            if rng.random() < 0.35:
                words.append(rng.choice(AR_COMPANY_WORDS))
            article = "Al " if rng.random() < 0.5 else ""
            if rng.random() < 0.15:
                words.append(rng.choice(GENERIC_WORDS))
            text = f"{article}{' '.join(words)} {rng.choice(AR_COMPANY_INDUSTRY)} {rng.choice(AR_LEGAL)}"
        elif culture == "cn":
            brand = "".join(rng.choice(CN_BRAND_SYLLABLES) for _ in range(rng.choice([2, 2, 2, 3]))).capitalize()
            if rng.random() < 0.15:
                brand = f"{brand} {rng.choice(GENERIC_WORDS)}"
            if rng.random() < 0.2:
                text = f"{brand} {rng.choice(CN_INDUSTRY)} (HK) Limited"
            else:
                text = f"{rng.choice(CN_CITIES)} {brand} {rng.choice(CN_INDUSTRY)} Co., Ltd."
        else:
            style = rng.random()
            if style < 0.45:
                head = rng.choice(LA_BRANDS)
            elif style < 0.8:
                head = rng.choice(self.la_surnames)
            else:
                head = f"{rng.choice(self.la_surnames)} & {rng.choice(self.la_surnames)}"
            industry = " ".join(rng.sample(LA_INDUSTRY, rng.choice([1, 1, 2])))
            if rng.random() < 0.15:
                industry = f"{rng.choice(GENERIC_WORDS)} {industry}"
            text = f"{head} {industry} {rng.choice(LA_LEGAL)}"
        return Named(text, culture, False)


def _to_cyrillic(text: str) -> str:
    out = []
    lowered = text.lower()
    i = 0
    while i < len(lowered):
        for latin, cyrillic in _RU_TO_CYRILLIC:
            if lowered.startswith(latin, i):
                out.append(cyrillic.upper() if text[i].isupper() else cyrillic)
                i += len(latin)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _company_legal_split(text: str) -> tuple[str, str | None]:
    """(name without legal form, legal form) for generated company names."""
    for legal in sorted(
        {*RU_LEGAL, *AR_LEGAL, *LA_LEGAL, "Co., Ltd.", "(HK) Limited", "Limited"}, key=len, reverse=True
    ):
        if text.endswith(" " + legal):
            return text[: -len(legal) - 1], legal
        if text.startswith(legal + " "):
            return text[len(legal) + 1 :], legal
    return text, None


def make_list(names: Names, n_names: int) -> tuple[list[ListEntry], dict[str, Named]]:
    """Entries whose primary names and distinct aliases add up to ``n_names`` (or one entry more)."""
    rng = names.rng
    entries: list[ListEntry] = []
    primaries: dict[str, Named] = {}
    total = 0
    listed: set[frozenset[str]] = set()
    while total < n_names:
        named = names.any()
        tokens = frozenset(index_tokens(named.text, join_hyphens=True))
        if tokens in listed:  # one entry per name, as on real lists
            continue
        listed.add(tokens)
        aliases: list[str] = []
        roll = rng.random()
        if named.person:
            if roll < 0.25:
                aliases.append(transliteration(rng, named) or named.text)
            if rng.random() < 0.15:
                aliases.append(word_order(rng, named) or named.text)
            if rng.random() < 0.15:
                aliases.append(names.person(named.culture).text)
        else:
            if roll < 0.2:
                aliases.append(_company_legal_split(named.text)[0])
            if named.culture == "ru" and rng.random() < 0.3:
                aliases.append(_to_cyrillic(named.text))
            if rng.random() < 0.2:
                aliases.append(names.company(named.culture).text)
        aliases = [a for a in dict.fromkeys(aliases) if a != named.text]
        entry_id = f"syn-{len(entries) + 1:06d}"
        country = rng.choice(COUNTRIES[named.culture])
        entries.append(
            ListEntry(
                list="synthetic",
                entry_id=entry_id,
                name=named.text,
                alt_names=aliases,
                countries=[country],
                addresses=[{"address": None, "city": None, "state": None, "postal_code": None, "country": country}],
                programs=[rng.choice(PROGRAMS)],
                source=rng.choice(SOURCES),
                entity_type="Individual" if named.person else "Entity",
            )
        )
        primaries[entry_id] = named
        # count names as the index does: spellings that normalise alike are one name
        total += len({frozenset(index_tokens(t, join_hyphens=True)) for t in (named.text, *aliases)})
    return entries, primaries


# --- variants of a listed name ---------------------------------------------------------------------------
# Each returns a new spelling of the name, or None when the kind does not apply to it.


def transliteration(rng: random.Random, named: Named) -> str | None:
    text = named.text
    if named.culture == "ru":
        if rng.random() < 0.5:
            return _to_cyrillic(text)
        return _apply_rules(rng, text, _RU_ROMANISATION, changes=rng.choice([1, 2]))
    if named.culture == "ar":
        words = text.split()
        spelled = [i for i, w in enumerate(words) if w in _AR_SPELLINGS]
        if spelled and rng.random() < 0.7:
            i = rng.choice(spelled)
            words[i] = rng.choice(_AR_SPELLINGS[words[i]])
            text = " ".join(words)
        else:
            text = _apply_rules(rng, text, _AR_RULES, changes=1, words=_AR_WORDS) or text
        if rng.random() < 0.3:
            text = text.replace("Al-", "El-").replace("Al ", "El ").replace("al-", "el-")
        return text if text != named.text else None
    if named.culture == "cn":
        if named.person:
            surname, given = text.split()
            syllables = _pinyin_syllables(given.lower())
            if syllables and rng.random() < 0.6:
                chars = CN_SURNAMES[surname.lower()] + "".join(CN_GIVEN[s] for s in syllables)
                return chars
            if syllables and len(syllables) > 1:
                return f"{surname} {'-'.join(s.capitalize() for s in syllables)}"
            return None
        return None
    changed = text
    for plain, ascii_spelling in _LATIN_SPELLINGS:
        changed = changed.replace(plain, ascii_spelling)
    return changed if changed != text else None


def _pinyin_syllables(word: str) -> list[str] | None:
    """Split a joined pinyin given name into the syllables of CN_GIVEN (greedy, longest first)."""
    syllables: list[str] = []
    i = 0
    keys = sorted(CN_GIVEN, key=len, reverse=True)
    while i < len(word):
        for key in keys:
            if word.startswith(key, i):
                syllables.append(key)
                i += len(key)
                break
        else:
            return None
    return syllables


_AR_WORDS = {w.lower() for w in [*AR_MALE, *AR_FEMALE, *AR_FAMILY, *AR_COMPANY_WORDS]}
_RU_WORDS_EXCLUDED = {w.lower() for w in ["OOO", "AO", "ZAO", "OAO", "PAO", "NPO", "NPP"]}


def _rule_positions(text: str, pattern: str, words: set[str] | None = None) -> list[int]:
    """Where ``pattern`` occurs in ``text`` (a trailing "$" anchors it to a word end), only in ``words``
    when given; connectors such as "bin" and "Al", and legal forms, are left alone."""
    lowered = text.lower()
    at_end = pattern.endswith("$")
    pattern = pattern.rstrip("$")
    positions = []
    start = 0
    for word in lowered.split(" "):
        bare = word.removeprefix("al-").removeprefix("el-")
        if word not in ("al", "al-", "el-", "bin", "ibn", *_RU_WORDS_EXCLUDED) and (words is None or bare in words):
            for i in range(len(word) - len(pattern) + 1):
                if word.startswith(pattern, i) and (not at_end or i + len(pattern) == len(word)):
                    positions.append(start + i)
        start += len(word) + 1
    return positions


def _apply_rules(
    rng: random.Random,
    text: str,
    rules: list[tuple[str, str]],
    *,
    changes: int,
    words: set[str] | None = None,
) -> str | None:
    applicable = [(a, b) for a, b in rules if _rule_positions(text, a, words)]
    if not applicable:
        return None
    for a, b in rng.sample(applicable, min(changes, len(applicable))):
        positions = _rule_positions(text, a, words)
        a = a.rstrip("$")
        if not positions:
            continue
        i = rng.choice(positions)
        replacement = b.capitalize() if text[i].isupper() else b
        text = text[:i] + replacement + text[i + len(a) :]
    return text


def _words_with_articles(text: str) -> list[str]:
    """Words, with an Arabic article kept on the word it belongs to ("Al Noor")."""
    words: list[str] = []
    for word in text.split():
        if words and words[-1] in ("Al", "El", "al"):
            words[-1] += " " + word
        else:
            words.append(word)
    return words


def word_order(rng: random.Random, named: Named) -> str | None:
    text = named.text
    if named.person:
        words = text.split()
        if len(words) < 2:
            return None
        if rng.random() < 0.7:
            return " ".join([words[-1], *words[:-1]])  # family name first, as in many documents
        return " ".join([*words[1:], words[0]])
    core, legal = _company_legal_split(text)
    words = _words_with_articles(core)
    if len(words) < 2:
        return None
    i = rng.randrange(len(words) - 1)
    words[i], words[i + 1] = words[i + 1], words[i]
    swapped = " ".join(words)
    return f"{swapped} {legal}" if legal else swapped


def punctuation(rng: random.Random, named: Named) -> str | None:
    text = named.text
    choice = rng.randrange(5)
    if choice == 0:
        changed = text.upper()
    elif choice == 1:
        changed = text.replace(" ", "-", 1) if " " in text else text + "."
    elif choice == 2:
        core, legal = _company_legal_split(text)
        changed = f'"{core}", {legal}' if legal else f"{text.replace(' ', ', ', 1)}"
    elif choice == 3:
        changed = text.lower().replace(" ", "  ") + "."
    else:
        core, legal = _company_legal_split(text)
        changed = f"«{core}» {legal}" if legal else f"{text} (a.k.a.)".replace(" (a.k.a.)", ".")
    return changed if changed != text else None


def legal_form(rng: random.Random, named: Named) -> str | None:
    if named.person:
        return None
    core, legal = _company_legal_split(named.text)
    if named.culture == "ru":
        options = ["OOO", "AO", "ZAO", "OAO", "PAO", "LLC", "JSC", "Limited Liability Company"]
    elif named.culture == "ar":
        options = ["LLC", "L.L.C.", "FZE", "FZCO", "Co. W.L.L.", "Est."]
    elif named.culture == "cn":
        options = ["Co., Ltd.", "Co Ltd", "Company Limited", "Limited", "Ltd.", "Corp."]
    else:
        options = ["Ltd", "Limited", "LLC", "Inc.", "GmbH", "AG", "S.A.", "B.V.", "PLC", "Corp.", "Co."]
    options = [o for o in options if o != legal]
    roll = rng.random()
    if roll < 0.25 or legal is None:
        return f"{core} {rng.choice(options)}" if legal is None or roll < 0.1 else core
    if roll < 0.35:
        return f"{rng.choice(options)} {core}"
    return f"{core} {rng.choice(options)}"


def typo(rng: random.Random, named: Named) -> str | None:
    text = named.text
    letters = [i for i, c in enumerate(text) if c.isascii() and c.isalpha()]
    if len(letters) < 4:
        return None
    # one typo, or one or two when the name has more than 12 letters (legal forms and articles aside)
    edits = 1 if sum(map(len, index_tokens(text, join_hyphens=True))) <= 12 else rng.choice([1, 2])
    chars = list(text)
    for _ in range(edits):
        letters = [i for i, c in enumerate(chars) if c.isascii() and c.isalpha()]
        i = rng.choice(letters)
        c = chars[i].lower()
        kind = rng.randrange(4)
        if kind == 0 and c in KEYBOARD:  # substitution by a neighbouring key
            chars[i] = rng.choice(KEYBOARD[c])
        elif kind == 1:  # deletion
            del chars[i]
        elif kind == 2 and c in KEYBOARD:  # insertion of a neighbouring key
            chars.insert(i, rng.choice(KEYBOARD[c]))
        elif i + 1 < len(chars) and chars[i + 1].isalpha():  # transposition
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            del chars[i]
    changed = "".join(chars)
    return changed if changed != text else None


def middle_token(rng: random.Random, named: Named) -> str | None:
    if named.person:
        words = named.text.split()
        if len(words) >= 3 and rng.random() < 0.6:
            i = rng.randrange(1, len(words) - 1)
            return " ".join(words[:i] + words[i + 1 :])
        if named.culture == "ru":
            extra = rng.choice(RU_MALE) + "ovich"
        elif named.culture == "ar":
            extra = rng.choice(AR_MALE)
        elif named.culture == "la":
            extra = rng.choice(LA_FIRST)
        else:
            return None
        return " ".join([words[0], extra, *words[1:]])
    core, legal = _company_legal_split(named.text)
    words = _words_with_articles(core)
    generic = [i for i, w in enumerate(words) if w in GENERIC_WORDS and 0 < i < len(words) - 1]
    if generic and rng.random() < 0.5:
        i = rng.choice(generic)
        words = words[:i] + words[i + 1 :]
    elif len(words) >= 2:
        i = rng.randrange(1, len(words))
        words = [*words[:i], rng.choice(GENERIC_WORDS), *words[i:]]
    else:
        return None
    joined = " ".join(words)
    return f"{joined} {legal}" if legal else joined


VARIANTS: dict[str, Callable[[random.Random, Named], str | None]] = {
    "transliteration": transliteration,
    "word_order": word_order,
    "punctuation": punctuation,
    "legal_form": legal_form,
    "typo": typo,
    "middle_token": middle_token,
}


# --- measurement -----------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Neighbourhood:
    """Which generated names are variants of a listed name, so they cannot count as unrelated."""

    def __init__(self, entries: list[ListEntry]) -> None:
        self.sets: set[frozenset[str]] = set()
        self.by_token: dict[str, list[frozenset[str]]] = defaultdict(list)
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for entry in entries:
            for text in (entry.name, *entry.alt_names):
                tokens = index_tokens(text, join_hyphens=True)
                token_set = frozenset(tokens)
                if token_set in self.sets:
                    continue
                self.sets.add(token_set)
                for token in token_set:
                    self.by_token[token].append(token_set)
                for joined in {" ".join(tokens), " ".join(sorted(tokens))}:
                    self.by_length[len(joined)].append(joined)

    def reason(self, text: str) -> str | None:
        """Why ``text`` is a variant of a listed name, or None when it is unrelated."""
        tokens = index_tokens(text, join_hyphens=True)
        token_set = frozenset(tokens)
        if not token_set:
            return "empty"
        if token_set in self.sets:
            return "listed"
        for token in token_set:
            for listed in self.by_token.get(token, ()):
                if listed <= token_set or token_set <= listed:
                    return "token subset or superset"
        # the typo variants' neighbourhood: one edit, or two when the longer name has over 12 letters
        # (any token order)
        letters = sum(map(len, tokens))
        for joined in {" ".join(tokens), " ".join(sorted(tokens))}:
            for length in range(len(joined) - 2, len(joined) + 3):
                for other, distance, _ in process.extract(
                    joined, self.by_length.get(length, []), scorer=OSA.distance, score_cutoff=2, limit=None
                ):
                    if distance <= 1 or max(letters, len(other.replace(" ", ""))) > 12:
                        return "within typo distance"
        return None


def unrelated_names(names: Names, neighbourhood: Neighbourhood, count: int) -> tuple[list[Named], Counter[str]]:
    """Generated names that are not a variant of a listed name, and how many were set aside, by reason."""
    found: list[Named] = []
    set_aside: Counter[str] = Counter()
    while len(found) < count:
        named = names.any()
        reason = neighbourhood.reason(named.text)
        if reason:
            set_aside[reason] += 1
        else:
            found.append(named)
    return found, set_aside


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.screening", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="5 000 names, 200 queries")
    parser.add_argument("--names", type=int, default=100_000, help="names and aliases in the list")
    parser.add_argument("--queries", type=int, default=2000, help="queries per set (variants, unrelated)")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--show-misses", type=int, default=0, metavar="N", help="print N missed variants")
    parser.add_argument("--show-fp", type=int, default=5, metavar="N", help="print N false positives")
    args = parser.parse_args(argv)
    if args.smoke:
        args.names, args.queries = 5000, 200

    rng = random.Random(args.seed)
    names = Names(rng)
    started = time.perf_counter()
    entries, primaries = make_list(names, args.names)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    index = ScreeningIndex(entries)
    build = time.perf_counter() - started

    # recall queries: kinds in turn, each on a random entry the kind applies to
    variant_rng = random.Random(args.seed + 1)
    entry_ids = list(primaries)
    recall_queries: list[tuple[str, str, str]] = []  # (kind, query, entry id)
    kinds = list(VARIANTS)
    while len(recall_queries) < args.queries:
        kind = kinds[len(recall_queries) % len(kinds)]
        entry_id = variant_rng.choice(entry_ids)
        query = VARIANTS[kind](variant_rng, primaries[entry_id])
        if query and query.strip():
            recall_queries.append((kind, query, entry_id))

    neighbourhood = Neighbourhood(entries)
    unrelated, set_aside = unrelated_names(Names(random.Random(args.seed + 2)), neighbourhood, args.queries)

    latencies: list[float] = []
    found_by_kind: Counter[str] = Counter()
    total_by_kind: Counter[str] = Counter()
    misses: list[tuple[str, str, str, float | None]] = []
    for kind, query, entry_id in recall_queries:
        t0 = time.perf_counter()
        matches = index.search(query, limit=25, min_score=REVIEW_THRESHOLD)
        latencies.append(time.perf_counter() - t0)
        total_by_kind[kind] += 1
        if any(m.entry_id == entry_id for m in matches):
            found_by_kind[kind] += 1
        elif len(misses) < args.show_misses:
            low = index.search(query, limit=50, min_score=0)
            score = next((m.score for m in low if m.entry_id == entry_id), None)
            misses.append((kind, query, primaries[entry_id].text, score))
    false_positives: list[tuple[Named, str, float]] = []
    for named in unrelated:
        t0 = time.perf_counter()
        matches = index.search(named.text, limit=10, min_score=REVIEW_THRESHOLD)
        latencies.append(time.perf_counter() - t0)
        if matches:
            false_positives.append((named, matches[0].matched_alias or matches[0].name, matches[0].score))

    recall = sum(found_by_kind.values()) / max(1, len(recall_queries))
    fp_rate = len(false_positives) / max(1, len(unrelated))
    ms = [1000 * s for s in latencies]
    median = statistics.median(ms)

    print(f"screening benchmark  seed={args.seed}  review threshold={REVIEW_THRESHOLD:g}")
    print(f"list: {len(entries)} entries, {len(index)} names and aliases indexed (generated in {generated:.1f} s)")
    print(f"index build: {build:.2f} s")
    print(f"queries: {len(recall_queries)} variants of listed names, {len(unrelated)} unrelated names")
    print(
        "  generated names set aside as variants of listed names: "
        + (", ".join(f"{reason} {n}" for reason, n in set_aside.most_common()) or "none")
    )
    print()
    print(f"{'latency (ms)':<28}{'median':>10}{'p95':>10}{'p99':>10}{'max':>10}")
    print(f"{'search()':<28}{median:>10.3f}{percentile(ms, 0.95):>10.3f}{percentile(ms, 0.99):>10.3f}{max(ms):>10.3f}")
    print()
    print(f"{'recall by variant kind':<28}{'found':>10}{'total':>10}{'recall':>10}")
    for kind in kinds:
        total = total_by_kind[kind]
        print(f"{kind:<28}{found_by_kind[kind]:>10}{total:>10}{found_by_kind[kind] / max(1, total):>10.3f}")
    print(f"{'all variants':<28}{sum(found_by_kind.values()):>10}{len(recall_queries):>10}{recall:>10.3f}")
    print()
    print(f"false positives: {len(false_positives)} of {len(unrelated)} unrelated names ({100 * fp_rate:.2f} %)")
    by_kind = Counter(f"{n.culture}-{'person' if n.person else 'company'}" for n, _, _ in false_positives)
    if by_kind:
        print("  by kind: " + ", ".join(f"{kind} {count}" for kind, count in by_kind.most_common()))
    for named, hit, score in false_positives[: args.show_fp]:
        print(f"  {named.text!r} -> {hit!r} ({score})")
    for kind, query, listed, score in misses:
        print(f"  missed {kind}: {query!r} for {listed!r} (score {score})")
    print()
    results = [
        ("median latency ≤ 2 ms", f"{median:.3f} ms", median <= TARGET_MEDIAN_MS),
        ("recall ≥ 0.98", f"{recall:.3f}", recall >= TARGET_RECALL),
        ("false positives ≤ 1 %", f"{100 * fp_rate:.2f} %", fp_rate <= TARGET_FP),
    ]
    print(f"{'target':<28}{'measured':>14}  result")
    for target, measured, ok in results:
        print(f"{target:<28}{measured:>14}  {'PASS' if ok else 'FAIL'}")
    if args.check and not all(ok for _, _, ok in results):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
